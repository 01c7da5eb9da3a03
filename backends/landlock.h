/*
 * The Landlock ruleset description (karmorc(1), LANDLOCK): what `karmorc compile
 * --target=landlock` writes as landlock/TARGET.ruleset and `karmor-loader run --target
 * TARGET` reads.  Shared by the writer (backends/landlock.c) and the reader
 * (runtime-loader/landlock.c), as backends/bundle.h is.
 *
 * The description speaks the verdict model's operations (read, write, exec), not Landlock's
 * access rights: which rights an operation needs, and which of them the running kernel has,
 * is decided by the loader when it builds the ruleset (a file's siblings, too, can only be
 * known on the host).  TAB-separated lines; '#' starts a comment line:
 *
 *   karmor-landlock 1
 *   target  NAME
 *   handle  OPS          the operations the ruleset handles: refused unless granted
 *   base    OPS          granted everywhere, except where a deny entry says otherwise
 *   grant   KIND OPS PATH
 *   deny    KIND OPS PATH
 *   net     tcp          TCP bind and connect handled, no port granted (ABI 4)
 *
 * OPS is "-" or a comma-separated subset of read,write,exec (in that order); KIND is
 * file (PATH itself), dir (PATH/ and its direct children) or tree (PATH/ and everything
 * below it).  A path is absolute, with no TAB, newline or control character.
 * An operation on a path is granted when it is in base or in a grant entry covering the
 * path, and in no deny entry covering it (Block beats Allow, DESIGN §4.3).
 */
#ifndef KARMOR_LANDLOCK_H
#define KARMOR_LANDLOCK_H

#define KLL_MAGIC "karmor-landlock 1"
#define KLL_SUFFIX ".ruleset"
#define KLL_FOLDER "landlock"

/* the verdict model's operations, as bits */
enum { KLL_READ = 1, KLL_WRITE = 2, KLL_EXEC = 4, KLL_ALL = 7 };
enum kll_kind { KLL_FILE, KLL_DIR, KLL_TREE };

/* bounds a reader holds a description to */
#define KLL_MAX_SIZE (16u << 20)
#define KLL_MAX_ENTRIES 65536u
/* the rules one ruleset may add on the host (siblings along every entry's ancestry) */
#define KLL_MAX_RULES 200000u

#endif
