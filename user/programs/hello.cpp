// hello: the smallest program.
#include "keel.h"

int main(int, char**) {
  keel::printf("hello from user space\n");
  return 0;
}
