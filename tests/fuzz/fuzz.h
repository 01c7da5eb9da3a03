/* tests/fuzz: libFuzzer harnesses, one per reader of untrusted bytes (issue 14).  Each
 * defines LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer (clang), and the
 * normal build links it with replay.c, which runs it once per file named on its command
 * line (testdata/fuzz/NAME/: every input that ever crashed it, replayed by make test). */
#ifndef FUZZ_H
#define FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional; replay.c calls it first when the harness defines it (weak). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
