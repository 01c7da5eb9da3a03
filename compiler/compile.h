/* kc_compile: `karmorc compile` -- targets, backends, output files, and the case manifest
 * the real-kernel rig (scripts/vmtest) runs. */
#ifndef KC_COMPILE_H
#define KC_COMPILE_H

#define KC_VERSION "0.1.0"

int kc_cmd_compile(int argc, char **argv);
/* karmorc bundle: compile's options, one signed file (compiler/bundle.c) */
int kc_cmd_bundle(int argc, char **argv);

#endif
