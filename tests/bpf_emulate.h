/*
 * bpf-emulate's parts (tests/bpf_emulate.c: scenario cases against the images;
 * tests/bpf_patterns.c: the glob automata against the model's matcher).
 */
#ifndef EMU_BPF_EMULATE_H
#define EMU_BPF_EMULATE_H
#include <stddef.h>
#include <stdint.h>

#include "../bpf/karmor.h"

void emu_oom(void);
void *emu_xrealloc(void *p, size_t n);
char *emu_xstrdup(const char *s);
/* bpf-emulate --patterns [PATH...]: exit status 0, or 1 on any difference. */
int emu_patterns_main(int nargs, char **args, uint64_t seed);

#endif
