#include "keel.h"
int main(int, char**) { return 0; }
