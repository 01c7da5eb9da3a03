#!/usr/bin/env bash
# The attack suite (issue 8, DESIGN §4.12): every way around a rule, tried for
# real by a confined process in Debian's 6.1 kernel under qemu, one boot per
# backend (AppArmor, BPF-LSM).  Read tests/attack/README first.
#
#   tests/attack/vm.sh [BUILD_DIR] [--backend apparmor|bpf]...
#
# BUILD_DIR (default build) holds karmorc and a static karmor-loader; the
# kernel is the one scripts/vmtest caches under build/vm (run it once), the
# AppArmor feature set the one it dumped there.  On the host: the policies of
# tests/attack/policies/ are compiled for each backend (`karmorc compile
# --posture file=block`), tests/attack/attack.c is built (the attacker, the
# Blocked program as a freestanding static-pie, a launcher whose PT_INTERP is
# the Blocked program, the fromSource program), and a guest is booted per
# backend.  In the guest every check runs the attacker as its subject (root,
# uid 1000, uid 1000 in a user namespace of its own) in a target (AppArmor:
# change_onexec into the target's profile; bpf: the target's bound cgroup,
# joined before the attacker starts) or unconfined, then reads back the
# events of that check alone (bpf: `karmor-loader events --json --drain`;
# AppArmor: the audit multicast group up to a fence record).
#
# Verdicts: an attack is `refused` only if it failed AND the target's
# refusal event came back (bpf: Action Block with the target's Target; AppArmor: apparmor="DENIED" for the target's profile); an
# attack that succeeded, or failed without such an event (plain Unix
# permissions, a missing object, a broken technique) FAILS.  A control must
# pass.  EXPECT below says, per technique and backend, `refused` or
# `gap:KCnnnn[:WORD]`: a gap row passes only if `karmorc compile` for that
# backend printed KCnnnn (on a line that also holds WORD, when given).
#
# Output: one line per check ("ok   ..." / "FAIL ...: why"), a table per
# backend (technique, result), then "N passed, M failed"; exit 1 on any
# failure, 2 on a setup error.  VERBOSE=1 prints the guest's report; the last
# run stays in build/vm/attack/BACKEND/.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/vm/setup.sh
. "$ROOT/scripts/vm/setup.sh"	# vm_accel
BUILD=build backends=()
while [ $# -gt 0 ]; do
	case $1 in
	--backend) backends+=("${2:-}"); shift 2 || shift ;;
	--backend=*) backends+=("${1#*=}"); shift ;;
	-h | --help) sed -n '2,35s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "attack: unknown option $1" >&2; exit 2 ;;
	*) BUILD=$1; shift ;;
	esac
done
[ ${#backends[@]} -gt 0 ] || backends=(apparmor bpf)
for b in "${backends[@]}"; do
	case $b in apparmor | bpf) ;; *) echo "attack: unknown backend '$b' (apparmor, bpf)" >&2; exit 2 ;; esac
done
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KC=$BUILD/karmorc
L=$BUILD/karmor-loader
VMDIR=${VMDIR:-$ROOT/build/vm}
OUT=$VMDIR/attack
die() { echo "attack: $*" >&2; echo "0 passed, 1 failed"; exit 2; }

# ------------------------------------------------------------------ expected
# technique -> apparmor bpf: refused | gap:KCnnnn[:WORD] | - (not run there).
# Every row is `refused` until a backend documents a gap with a diagnostic.
EXPECT='
rule              refused  refused
chroot            refused  refused
bind              refused  refused
open-tree         refused  refused
move-mount        gap:KC0409:mount-api  refused
pivot-root        refused  refused
unshare-mnt-bind  refused  refused
spoof-source      refused  refused
userns            gap:KC0409:userns  refused
userns-chroot     refused  refused
userns-mount      refused  refused
rename-parent     refused  refused
rename-glob       refused  refused
fd-inherit        gap:KC0409:descriptors  refused
mmap              gap:KC0409:descriptors  refused
scm-rights        gap:KC0409:descriptors  refused
fifo              refused  refused
ldso              refused  refused
interp            gap:KC0409:interpreter  refused
script            gap:KC0409:interpreter  refused
proc-fd           gap:KC0409:descriptors  refused
proc-ns           refused  refused
raw-icmp          refused  refused
raw-icmpv6        refused  refused
raw-ip            refused  refused
raw-packet        refused  refused
cgroup-escape     refused  refused
clone-into-cgroup refused  refused
unpin             refused  refused
bpf-get           -        refused
ptrace            refused  refused
process_vm_readv  refused  refused
proc-mem          refused  refused
proc-environ      refused  refused
setxattr          gap:KC0409:setxattr  refused
utime             gap:KC0409:utime  refused
'

# ------------------------------------------------------------------ setup
KERNEL=$(ls "$VMDIR"/kernel/vmlinu[xz]-* 2>/dev/null | head -n 1)
[ -n "$KERNEL" ] || die "no kernel under $VMDIR/kernel (run scripts/vmtest once)"
KVER=${KERNEL##*/vmlinu[xz]-}
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64"
command -v python3 >/dev/null || die "no python3"
[ -x /bin/busybox ] || die "no static /bin/busybox"
[ -x "$KC" ] || die "no $KC (make)"
LDSO=/lib64/ld-linux-x86-64.so.2
[ -e "$LDSO" ] || die "no $LDSO on the host (the ldso technique copies it into the guest)"
rm -rf "$OUT"
mkdir -p "$OUT/bin" || die "cannot make $OUT"
CF=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror)
SRC=$HERE/attack.c
gcc -static "${CF[@]}" -o "$OUT/bin/attack" "$SRC" &&
	gcc -static "${CF[@]}" -DROLE_TRUSTED -o "$OUT/bin/trusted" "$SRC" &&
	gcc -static-pie -nostdlib -nostartfiles -fno-stack-protector "${CF[@]}" -DROLE_BLOCKED -o "$OUT/bin/blocked" "$SRC" &&
	gcc -pie -fPIE -nostdlib -nostartfiles -fno-stack-protector "${CF[@]}" -DROLE_BLOCKED -o "$OUT/bin/blocked-dyn" "$SRC" &&
	gcc "${CF[@]}" -DROLE_LAUNCHER -Wl,--dynamic-linker=/opt/blocked/prog -o "$OUT/bin/launcher" "$SRC" ||
	die "cannot build $SRC"

# ------------------------------------------------------------------ the guest
# init: copies the initramfs into a tmpfs and switch_roots into it (the
# initramfs itself is rootfs, which pivot_root refuses whatever the LSM says),
# makes the protected objects, attaches the backend, then runs suite.sh.
cat >"$OUT/init" <<'INIT'
#!/.vmt/bin/sh
export PATH=/.vmt/bin
if [ "${1:-}" != stage2 ]; then
	mount -t proc proc /proc
	mkdir -p /newroot && mount -t tmpfs -o mode=755 root /newroot
	for e in /.vmt /k /opt /app /lib64 /etc /mnt /init; do cp -a "$e" /newroot/; done
	mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/tmp /newroot/run
	umount /proc
	exec switch_root /newroot /init stage2
fi
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec </dev/null >/dev/ttyS1 2>&1
. /.vmt/conf
up() { cut -d' ' -f1 /proc/uptime; }
finish() {
	echo "END uptime=$(up)"
	sync
	printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}
echo "BEGIN $BACKEND uptime=$(up) lsm=$(cat /sys/kernel/security/lsm)"
chmod 1777 /tmp
echo 0 >/proc/sys/kernel/yama/ptrace_scope
# the protected objects (plain Unix permissions let everyone in: only the
# LSM can refuse)
mkdir -p /k/secret /k/bdir /k/data/ro /k/own /k/pub /k/fs /k/.old /k/glob/secA /mnt/x /mnt/y /sys/fs/cgroup/escape
echo SECRET-blocked >/k/secret/blocked
echo SECRET-glob >/k/glob/secA/key.pem
echo SECRET-bdir >/k/bdir/f
echo RO-data >/k/data/ro/f
echo RO-user >/k/data/ro/u
echo SECRET-own >/k/own/f
echo public >/k/pub/f
echo control >/k/pub/ctl
echo SECRET-fs >/k/fs/secret
mkfifo /k/bdir/fifo /k/pub/fifo
chmod 777 /k /k/secret /k/bdir /k/data /k/data/ro /k/own /k/pub /k/fs /k/glob /k/glob/secA /mnt/x /mnt/y
chmod 666 /k/glob/secA/key.pem /k/secret/blocked /k/bdir/f /k/data/ro/f /k/data/ro/u /k/own/f /k/pub/f /k/pub/ctl /k/fs/secret /k/bdir/fifo /k/pub/fifo
chown 1000:1000 /k/own/f /k/data/ro/u
cp /opt/blocked/prog /opt/blocked/delprog
printf '#!/opt/blocked/prog\n' >/opt/script.sh
chmod 755 /opt/script.sh /opt/blocked/prog /opt/blocked/dynprog /opt/blocked/delprog /opt/launcher /app/trusted
ATK=/.vmt/attack
L=/.vmt/karmor-loader
if [ "$BACKEND" = bpf ]; then
	mount -t bpf bpf /sys/fs/bpf
	for t in victim allow fs; do mkdir -p /sys/fs/cgroup/$t; done
	$L apply /.vmt/img --bind "$T_victim=/sys/fs/cgroup/victim" --bind "$T_allow=/sys/fs/cgroup/allow" \
		--bind "$T_fs=/sys/fs/cgroup/fs" >/tmp/apply.log 2>&1
	rc=$?
	echo "APPLY rc=$rc uptime=$(up) $(tail -n 2 /tmp/apply.log | tr '\n' ' ')"
	[ $rc = 0 ] || finish
	$L events --json --drain >/dev/null 2>&1
	echo "PINS $(ls /sys/fs/bpf/karmor | tr '\n' ' ')"
else
	: >/tmp/aa.log
	$ATK audit-log /tmp/aa.log &
	i=0
	while ! grep -q ready /tmp/aa.log && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	$ATK aa-load /.vmt/aa/*.bin
	rc=$?
	echo "APPLY rc=$rc uptime=$(up) $(tr '\n' ' ' </sys/kernel/security/apparmor/profiles)"
	[ $rc = 0 ] || finish
fi
# the outside tasks ptrace aims at (unconfined, root and uid 1000)
SECRET_ENV=SECRET-environ $ATK victim /tmp/vroot &
$ATK as 1000 - - -- /.vmt/bin/env SECRET_ENV=SECRET-environ $ATK victim /tmp/vuser &
i=0
while ! [ -s /tmp/vroot ] || ! [ -s /tmp/vuser ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || break; done
read -r VR VRA </tmp/vroot
read -r VU VUA </tmp/vuser
echo "VICTIMS root=$VR user=$VU"
. /.vmt/suite.sh
echo "STATE ro=$(cat /k/data/ro/f | tr '\n' '|')/$(cat /k/data/ro/u | tr '\n' '|') dirs=$(ls -d /k/secret /k/data /k/bdir/f 2>&1 | tr '\n' ' ') fifos=$(ls /k/data/ro /k/bdir | tr '\n' ' ')"
finish
INIT

# suite.sh: the checks.  K KIND TECHNIQUE TARGET SUBJECT -- ATTACK ARGS
#   KIND A: an attack (must be refused with its event), S: the rule itself
#   (a plain access that must be refused with its event), C: a control (must
#   pass); TARGET victim|allow|fs|none (none: unconfined); SUBJECT root|user
# Lines between the checks are the rig's own (unconfined) setup.
cat >"$OUT/suite.sh" <<'SUITE'
n=0
K() {
	kind=$1 tech=$2 tgt=$3 subj=$4
	shift 5
	n=$((n + 1))
	uid=0
	[ "$subj" = user ] && uid=1000
	prof=- cg=-
	if [ "$tgt" != none ]; then
		if [ "$BACKEND" = bpf ]; then cg=/sys/fs/cgroup/$tgt; else eval "prof=\$P_$tgt"; fi
	fi
	[ "$BACKEND" = apparmor ] && c0=$(wc -l </tmp/aa.log)
	out=$($ATK as $uid "$prof" "$cg" -- $ATK "$@" </dev/null 2>&1)
	rc=$?
	printf 'RES\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$kind" "$tech" "$tgt" "$subj" "$rc" "$*" "$(echo "$out" | tr '\t\n' '  ')"
	if [ "$BACKEND" = bpf ]; then
		$L events --json --drain 2>/dev/null | grep '^{' | sed "s/^/EV\t$n\t/"
	else
		$ATK audit-fence "attack-fence-$n" /tmp/aa.log || echo "NOFENCE $n"
		tail -n +$((c0 + 1)) /tmp/aa.log | grep 'apparmor=' | grep -v 'apparmor="STATUS"' | sed "s/^/EV\t$n\t/"
	fi
}
sc=0
serve() { # serve PATH r|rw: an unconfined helper sends a descriptor of PATH on @attack-scm-N
	sc=$((sc + 1))
	S=attack-scm-$sc
	$ATK scm-serve "$S" "$1" "$2" >/dev/null 2>&1 &
	SP=$!
}
scm() { # scm PATH r|rw EXPECT TARGET USER TECHNIQUE: TECHNIQUE on a descriptor of PATH
	serve "$1" "$2"
	K "$3" scm-rights "$4" "$5" -- "$6" "$S"
	kill "$SP" 2>/dev/null
}
LDSO=/lib64/ld-linux-x86-64.so.2
echo "SUITE uptime=$(up)"

# the rules themselves, and the granted accesses
K S rule victim root -- cat /k/secret/blocked
K S rule victim root -- cat /k/bdir/f
K S rule victim root -- cat /k/glob/secA/key.pem
K C rule victim root -- cat /k/data/ro/f
K S rule victim root -- -w cat /k/data/ro/f
K S rule victim root -- cat /k/own/f
K C rule victim user -- cat /k/own/f
K S rule victim root -- exec /opt/blocked/prog
K C rule victim root -- cat /k/pub/f
K C rule victim root -- udp
K S rule victim root -- cat /proc/1/status
K C rule allow root -- cat /k/pub/f
K S rule allow root -- cat /k/secret/blocked
K C rule fs root -- exec /app/trusted
K S rule fs root -- cat /k/fs/secret

# chroot: paths resolved against the task's own root
K A chroot victim root -- chroot /k secret/blocked
K A chroot victim root -- -w chroot /k data/ro/f
K A chroot victim root -- chroot /k own/f
K A chroot allow root -- chroot /k secret/blocked
K A chroot fs root -- chroot /k fs/secret
K C chroot none root -- chroot /k secret/blocked

# bind mounts, open_tree clones, move_mount, pivot_root, new mount namespaces
K A bind victim root -- bind /k/secret /mnt/x blocked
umount /mnt/x 2>/dev/null
K A bind victim root -- -w bind /k/data/ro /mnt/x f
umount /mnt/x 2>/dev/null
K A bind allow root -- bind /k/secret /mnt/x blocked
umount /mnt/x 2>/dev/null
K C bind none root -- bind /k/secret /mnt/x blocked
umount /mnt/x 2>/dev/null
K A open-tree victim root -- open-tree /k/secret blocked
K A open-tree victim root -- -w open-tree /k/data/ro f
K A open-tree allow root -- open-tree /k/secret blocked
K C open-tree none root -- open-tree /k/secret blocked
K A move-mount victim root -- move-mount /k/secret /mnt/y blocked
umount /mnt/y 2>/dev/null
K A move-mount allow root -- move-mount /k/secret /mnt/y blocked
umount /mnt/y 2>/dev/null
K C move-mount none root -- move-mount /k/secret /mnt/y blocked
umount /mnt/y 2>/dev/null
K A pivot-root victim root -- pivot-root /k .old /secret/blocked
K A pivot-root allow root -- pivot-root /k .old /secret/blocked
K C pivot-root none root -- pivot-root /k .old /secret/blocked
K A unshare-mnt-bind victim root -- unshare-mnt-bind /k/secret /mnt/x blocked
K A unshare-mnt-bind victim root -- -w unshare-mnt-bind /k/data/ro /mnt/x f
K C unshare-mnt-bind none root -- unshare-mnt-bind /k/secret /mnt/x blocked
# the fromSource program's path, mounted over with the attacker
K A spoof-source fs root -- spoof /app/trusted /k/fs/secret
K C spoof-source none root -- spoof /app/trusted /k/fs/secret

# user namespaces (an unprivileged user)
K A userns victim user -- userns
K A userns allow user -- userns
K C userns none user -- userns
K A userns-chroot victim user -- userns-chroot /k secret/blocked
K A userns-chroot victim user -- -w userns-chroot /k data/ro/f
K A userns-chroot allow user -- userns-chroot /k secret/blocked
K C userns-chroot none user -- userns-chroot /k secret/blocked
K A userns-mount victim user -- userns-mount /k/secret /mnt/x blocked
K A userns-mount victim user -- -w userns-mount /k/data/ro /mnt/x f
K C userns-mount none user -- userns-mount /k/secret /mnt/x blocked

# renaming a parent directory of a protected file (the rig renames it back)
back() { [ -d "$2" ] && mv "$2" "$1"; }
K A rename-parent victim root -- rename-parent /k/secret /k/secret2 blocked
back /k/secret /k/secret2
K A rename-parent victim user -- rename-parent /k/secret /k/secret2 blocked
back /k/secret /k/secret2
K A rename-parent victim root -- -w rename-parent /k/data /k/data2 ro/f
back /k/data /k/data2
K A rename-parent allow root -- rename-parent /k/secret /k/secret2 blocked
back /k/secret /k/secret2
K C rename-parent none root -- rename-parent /k/secret /k/secret2 blocked
back /k/secret /k/secret2
# ... of a file a glob protects, to a name the glob does not match
K A rename-glob victim root -- rename-parent /k/glob/secA /k/glob/open key.pem
back /k/glob/secA /k/glob/open
K A rename-glob victim user -- rename-parent /k/glob/secA /k/glob/open key.pem
back /k/glob/secA /k/glob/open
K C rename-glob none root -- rename-parent /k/glob/secA /k/glob/open key.pem
back /k/glob/secA /k/glob/open

# descriptors opened by an unconfined parent before the task was confined
exec 5</k/secret/blocked
K A fd-inherit victim root -- fd-read 5
K A fd-inherit victim user -- fd-read 5
K C fd-inherit none root -- fd-read 5
K A mmap victim root -- mmap-read 5
K A mmap victim user -- mmap-read 5
K A mmap allow root -- mmap-read 5
K C mmap none root -- mmap-read 5
exec 5<&-
exec 5<>/k/data/ro/f
K A fd-inherit victim root -- -w fd-read 5
K A mmap victim root -- mmap-write 5
exec 5<&-
exec 5<>/k/pub/ctl
K C mmap victim root -- mmap-write 5
exec 5<&-
# descriptors received over a unix socket from an unconfined helper
scm /k/secret/blocked r A victim root scm-read
scm /k/secret/blocked r A victim root scm-mmap-read
scm /k/secret/blocked r A victim user scm-mmap-read
scm /k/data/ro/f rw A victim root scm-mmap-write
scm /k/secret/blocked r A allow root scm-mmap-read
scm /k/secret/blocked r C none root scm-mmap-read

# named FIFOs under a Blocked dir, made in a readOnly one
K A fifo victim root -- fifo /k/bdir/fifo
K A fifo victim user -- fifo /k/bdir/fifo
K A fifo allow root -- fifo /k/bdir/fifo
K A fifo victim root -- mkfifo /k/data/ro/newfifo
rm -f /k/data/ro/newfifo
K A fifo victim root -- mkfifo /k/bdir/newfifo
rm -f /k/bdir/newfifo
K C fifo victim root -- fifo /k/pub/fifo
K C fifo none root -- fifo /k/bdir/fifo

# a Blocked program run by the dynamic loader (a PIE: ld.so maps it; a
# static one it would simply execve), as an ELF interpreter, as a #! interpreter
K S ldso victim root -- exec /opt/blocked/dynprog
K A ldso victim root -- ldso $LDSO /opt/blocked/dynprog
K A ldso victim user -- ldso $LDSO /opt/blocked/dynprog
K C ldso none root -- ldso $LDSO /opt/blocked/dynprog
K A interp victim root -- interp /opt/launcher
K A interp victim user -- interp /opt/launcher
K C interp none root -- interp /opt/launcher
K A script victim root -- script /opt/script.sh
K A script victim user -- script /opt/script.sh
K C script none root -- script /opt/script.sh

# /proc/self/fd/N of a file deleted, or replaced, after the parent opened it
echo SECRET-del >/k/bdir/del
chmod 666 /k/bdir/del
exec 5</k/bdir/del
rm /k/bdir/del
K A proc-fd victim root -- proc-fd 5
K A proc-fd victim root -- fd-read 5
K A proc-fd victim user -- proc-fd 5
K C proc-fd none root -- proc-fd 5
exec 5<&-
echo SECRET-del >/k/bdir/del
chmod 666 /k/bdir/del
exec 5</k/bdir/del
echo new >/k/bdir/del.new
mv /k/bdir/del.new /k/bdir/del
K A proc-fd victim root -- proc-fd 5
exec 5<&-
rm -f /k/bdir/del
exec 6</opt/blocked/delprog
echo replaced >/opt/blocked/delprog.new
mv /opt/blocked/delprog.new /opt/blocked/delprog
K A proc-fd victim root -- proc-fd-exec 6
K A proc-fd victim user -- proc-fd-exec 6
K C proc-fd none root -- proc-fd-exec 6
exec 6<&-

# /proc/PID/ns/* under a Blocked /proc/PID/
K A proc-ns victim root -- proc-ns 1 mnt
K A proc-ns victim root -- proc-ns 1 net
K A proc-ns allow root -- proc-ns 1 mnt
K C proc-ns none root -- proc-ns 1 mnt

# a raw Block: every SOCK_RAW socket
K A raw-icmp victim root -- raw-icmp
K C raw-icmp none root -- raw-icmp
K A raw-icmpv6 victim root -- raw-icmpv6
K C raw-icmpv6 none root -- raw-icmpv6
K A raw-ip victim root -- raw-ip
K C raw-ip none root -- raw-ip
K A raw-packet victim root -- packet
K C raw-packet none root -- packet

# leaving the target: another cgroup, the loader's pins
K A cgroup-escape victim root -- cgroup-escape /sys/fs/cgroup/escape /k/secret/blocked
K A cgroup-escape allow root -- cgroup-escape /sys/fs/cgroup/escape /k/secret/blocked
K C cgroup-escape none root -- cgroup-escape /sys/fs/cgroup/escape /k/secret/blocked
K A clone-into-cgroup victim root -- clone-into-cgroup /sys/fs/cgroup/escape /k/secret/blocked
K A clone-into-cgroup allow root -- clone-into-cgroup /sys/fs/cgroup/escape /k/secret/blocked
K C clone-into-cgroup none root -- clone-into-cgroup /sys/fs/cgroup/escape /k/secret/blocked
if [ "$BACKEND" = bpf ]; then
	K A unpin victim root -- unpin /sys/fs/bpf/karmor
	K A bpf-get victim root -- bpf-get /sys/fs/bpf/karmor
	K A bpf-get allow root -- bpf-get /sys/fs/bpf/karmor
	K C bpf-get none root -- bpf-get /sys/fs/bpf/karmor
fi

# tracing a task outside the target, and the /proc files that need that right
K A ptrace victim root -- ptrace-attach $VR
K A ptrace victim root -- ptrace-seize $VR
K A ptrace victim user -- ptrace-seize $VU
K C ptrace none root -- ptrace-seize $VR
K C ptrace none user -- ptrace-seize $VU
K A process_vm_readv victim root -- vm-readv $VR $VRA
K A process_vm_readv victim user -- vm-readv $VU $VUA
K C process_vm_readv none user -- vm-readv $VU $VUA
K A proc-mem victim root -- proc-mem $VR $VRA
K A proc-mem victim user -- proc-mem $VU $VUA
K C proc-mem none root -- proc-mem $VR $VRA
K A proc-environ victim root -- proc-environ $VR
K A proc-environ victim user -- proc-environ $VU
K C proc-environ none root -- proc-environ $VR

# metadata of readOnly and Blocked files
K A setxattr victim root -- setxattr /k/data/ro/f
K A setxattr victim root -- setxattr /k/secret/blocked
K C setxattr victim root -- setxattr /k/pub/ctl
K C setxattr none root -- setxattr /k/data/ro/u
K A utime victim root -- utime-set /k/data/ro/f
K A utime victim root -- utime-now /k/data/ro/f
K A utime victim user -- utime-set /k/data/ro/u
K A utime victim user -- utime-now /k/data/ro/u
K C utime victim root -- utime-set /k/pub/ctl
K C utime none user -- utime-set /k/data/ro/u

# last, as they may switch enforcement off: removing the pins (bpf), the
# profile (AppArmor); then the rule must still hold
if [ "$BACKEND" = bpf ]; then
	K A unpin victim root -- unpin-unlink /sys/fs/bpf/karmor
else
	K A unpin victim root -- aa-remove "$P_victim"
fi
K S unpin victim root -- cat /k/secret/blocked
echo "SUITE-END uptime=$(up)"
SUITE

# ------------------------------------------------------------------ per backend
pass=0 fail=0
: >"$OUT/checks"
run_backend() { # BACKEND: compile, build the guest, boot; leaves OUT/B/results
	local b=$1 d=$OUT/$1 r t0 rc
	r=$d/root
	mkdir -p "$r/.vmt/bin" "$r/k" "$r/opt/blocked" "$r/app" "$r/lib64" "$r/etc" "$r/mnt" "$r/proc" "$r/sys" "$r/dev"
	"$KC" compile --target="$b" --posture file=block -o "$d/out" "$HERE/policies" >"$d/compile.log" 2>&1 ||
		{ echo "compile failed: $(head -3 "$d/compile.log")" >"$d/setup-error"; return 1; }
	local names=() n
	for n in victim allow fs; do
		names+=("$(basename "$(ls "$d/out/$b"/*-app-$n-* 2>/dev/null | grep -v '\.bin$' | head -n 1)" .kmi)")
	done
	{
		echo "BACKEND=$b"
		echo "T_victim=${names[0]} T_allow=${names[1]} T_fs=${names[2]}"
		echo "P_victim=${names[0]} P_allow=${names[1]} P_fs=${names[2]}"
	} >"$r/.vmt/conf"
	if [ "$b" = bpf ]; then
		[ -x "$L" ] || { echo "no $L" >"$d/setup-error"; return 1; }
		if LC_ALL=C readelf -l "$L" 2>/dev/null | grep -q INTERP; then echo "$L is not static" >"$d/setup-error"; return 1; fi
		install -m 755 "$L" "$r/.vmt/karmor-loader"
		cp -r "$d/out/bpf" "$r/.vmt/img"
	else
		local feat=$VMDIR/features/$KVER f
		[ -s "$feat" ] || { echo "no AppArmor feature set $feat (run scripts/vmtest --backend apparmor once)" >"$d/setup-error"; return 1; }
		command -v apparmor_parser >/dev/null || { echo "no apparmor_parser" >"$d/setup-error"; return 1; }
		mkdir -p "$r/.vmt/aa"
		for f in "$d/out/apparmor"/*; do
			apparmor_parser -Q -K -S -M "$feat" "$f" >"$r/.vmt/aa/${f##*/}.bin" 2>"$d/parser.log" ||
				{ echo "apparmor_parser rejected $f: $(head -3 "$d/parser.log")" >"$d/setup-error"; return 1; }
		done
	fi
	cp /bin/busybox "$r/.vmt/bin/"
	for a in sh cat mkdir mount umount dd printf sleep poweroff sync rm mv ln chmod chown cp cut grep sed tail tr wc ls \
		env mkfifo kill switch_root basename; do
		ln -sf busybox "$r/.vmt/bin/$a"
	done
	install -m 755 "$OUT/bin/attack" "$r/.vmt/attack"
	install -m 755 "$OUT/bin/blocked" "$r/opt/blocked/prog"
	install -m 755 "$OUT/bin/blocked-dyn" "$r/opt/blocked/dynprog"
	install -m 755 "$OUT/bin/launcher" "$r/opt/launcher"
	install -m 755 "$OUT/bin/trusted" "$r/app/trusted"
	install -m 755 "$LDSO" "$r/lib64/"
	install -m 755 "$OUT/init" "$r/init"
	install -m 644 "$OUT/suite.sh" "$r/.vmt/suite.sh"
	printf 'root:x:0:0::/:/.vmt/bin/sh\nu:x:1000:1000::/tmp:/.vmt/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\nu:x:1000:\n' >"$r/etc/group"
	vm_initrd "$r" "$d/initrd.gz"
	t0=$(date +%s.%N)
	vm_boot "${TIMEOUT:-300}" 512 "$d/initrd.gz" "$d/console" "$d/results.raw" "$d/qemu.log" \
		lsm=lockdown,capability,landlock,yama,apparmor,bpf
	rc=$?
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }' >"$d/boot-seconds"
	tr -d '\r' <"$d/results.raw" >"$d/results" 2>/dev/null
	[ -n "${VERBOSE:-}" ] && cat "$d/results"
	[ "$rc" -eq 1 ] || echo "qemu exit $rc (124: timeout): $(tail -n 5 "$d/console" | tr '\n' ' ')" >"$d/setup-error"
	return 0
}

for b in "${backends[@]}"; do
	mkdir -p "$OUT/$b"
	run_backend "$b"
done

# ------------------------------------------------------------------ judge
python3 - "$OUT" "$EXPECT" "${backends[@]}" <<'PY'
import json, os, re, sys
out, expect_txt, backends = sys.argv[1], sys.argv[2], sys.argv[3:]
col = {"apparmor": 0, "bpf": 1}
expect, order = {}, []
for line in expect_txt.splitlines():
    f = line.split()
    if len(f) == 3:
        expect[f[0]] = f[1:]
        order.append(f[0])
# techniques each backend is expected to let through, as coded gaps: the only
# way a readOnly file may end up changed (the state check below)
gapped = {b: {t for t in order if expect[t][col[b]].startswith("gap:")} for b in col}
npass = nfail = 0
def ok(msg):
    global npass
    npass += 1
    print("ok   " + msg)
def bad(msg, why):
    global nfail
    nfail += 1
    print("FAIL %s: %s" % (msg, why))
def short(s, n=220):
    s = s.strip()
    return s if len(s) <= n else s[:n] + "..."
tables = {}
for b in backends:
    d = os.path.join(out, b)
    setup_err = open(os.path.join(d, "setup-error")).read().strip() if os.path.exists(os.path.join(d, "setup-error")) else ""
    compile_log = open(os.path.join(d, "compile.log")).read() if os.path.exists(os.path.join(d, "compile.log")) else ""
    lines = open(os.path.join(d, "results")).read().splitlines() if os.path.exists(os.path.join(d, "results")) else []
    secs = open(os.path.join(d, "boot-seconds")).read().strip() if os.path.exists(os.path.join(d, "boot-seconds")) else "?"
    conf = {}
    if os.path.exists(os.path.join(d, "root/.vmt/conf")):
        for l in open(os.path.join(d, "root/.vmt/conf")):
            for kv in l.split():
                k, _, v = kv.partition("=")
                conf[k] = v
    res, evs = [], {}
    for l in lines:
        f = l.split("\t")
        if f[0] == "RES" and len(f) >= 9:
            res.append(f[1:9])
        elif f[0] == "EV" and len(f) >= 3:
            evs.setdefault(f[1], []).append("\t".join(f[2:]))
    begin = [l for l in lines if l.startswith("BEGIN ")]
    apply_ = [l for l in lines if l.startswith("APPLY ")]
    end = [l for l in lines if l.startswith("END ")]
    if setup_err:
        bad(b + ": the guest", setup_err)
    elif not end:
        bad(b + ": the guest", "no END line (see %s/console)" % d)
    else:
        ok("%s: the guest ran to the end (%s s of wall clock, guest %s)" % (b, secs, end[0].split("=", 1)[1]))
    if apply_ and " rc=0 " in apply_[0] + " ":
        ok("%s: policies attached" % b)
    elif not setup_err:
        bad(b + ": attach", apply_[0] if apply_ else "no APPLY line")
    if b == "bpf" and begin and "bpf" not in begin[0].split("lsm=")[-1]:
        bad("bpf: BPF-LSM active", begin[0])
    st = [l for l in lines if l.startswith("STATE ")]
    if st:
        s = st[0]
        if "ro=RO-data|/RO-user| " in s and "No such" not in s and "newfifo" not in s:
            ok("%s: afterwards the readOnly files are unchanged and every protected path is where it was" % b)
        elif gapped.get(b):
            ok("%s: afterwards a readOnly file changed, through a coded gap only (%s): %s" % (b, ", ".join(sorted(gapped[b])), s))
        else:
            bad("%s: state afterwards" % b, "a readOnly file changed, or a protected path moved: " + s)
    # the events that count as this target's refusal
    def refusal_events(n, tgt):
        out_ = []
        for e in evs.get(n, []):
            if b == "bpf":
                try:
                    j = json.loads(e)
                except ValueError:
                    continue
                # a Block of this target's task (a rule's, the posture's, or
                # a protection of the confinement itself)
                if j.get("Action") == "Block" and j.get("KarmorTarget") == conf.get("T_" + tgt, "?"):
                    out_.append("%s %s %s" % (j.get("KarmorOp"), j.get("Resource"), j.get("PolicyName") or "(no policy)"))
            else:
                prof = conf.get("P_" + tgt, "?")
                if 'apparmor="DENIED"' in e and ('profile="%s' % prof) in e:
                    m = re.search(r'operation="([^"]*)"', e)
                    nm = re.search(r' name="([^"]*)"', e)
                    out_.append("%s %s" % (m.group(1) if m else "?", nm.group(1) if nm else ""))
        return out_
    cells = {}
    for n, kind, tech, tgt, subj, rc, args, text in res:
        label = "%s %s %s/%s: %s" % (b, tech, tgt, subj, args)
        exp = expect.get(tech, ["refused", "refused"])[col[b]] if kind == "A" else ("refused" if kind == "S" else "control")
        cell = cells.setdefault(tech, {"n": 0, "bad": [], "ctl": [], "gap": None})
        if kind == "C":
            if rc == "0":
                ok(label + " (control passes)")
            else:
                bad(label, "control did not pass (exit %s): %s" % (rc, short(text)))
                cell["ctl"].append(args)
            continue
        cell["n"] += 1
        if exp.startswith("gap:"):
            code, _, word = exp[4:].partition(":")
            hit = [l for l in compile_log.splitlines() if code in l and word in l]
            if hit:
                ok("%s (documented gap %s; the attack %s)" % (label, code, "succeeded" if rc == "0" else "was refused"))
                cell["gap"] = "gap %s: %s" % (code, short(hit[0], 160))
            else:
                bad(label, "expected the documented gap %s%s, but karmorc compile --target=%s did not print it" % (code, " (" + word + ")" if word else "", b))
                cell["bad"].append("gap undocumented")
            continue
        ev = refusal_events(n, tgt)
        if rc == "0":
            why = "the attack SUCCEEDED: " + short(text)
        elif rc != "1":
            why = "setup error (exit %s): %s" % (rc, short(text))
        elif not ev:
            other = evs.get(n, [])
            why = "refused without the target's LSM event (%s)%s" % (short(text, 120), "; other events: " + short(" | ".join(other), 200) if other else "")
        else:
            ok("%s refused (%s; event: %s)" % (label, short(text, 100), short(ev[0], 100)))
            continue
        bad(label, why)
        cell["bad"].append("succeeded" if rc == "0" else ("no event" if rc == "1" else "setup"))
    tables[b] = (cells, secs)
for b in backends:
    cells, secs = tables[b]
    print("\n%s (boot: %s s wall clock)" % (b, secs))
    print("  %-18s %s" % ("technique", "result"))
    for t in order + sorted(set(cells) - set(order)):
        e = expect.get(t, ["refused", "refused"])[col[b]]
        c = cells.get(t)
        if e == "-" and not c:
            continue
        if not c:
            r = "FAILED (not run)"
        elif c["bad"]:
            kinds = {}
            for k in c["bad"]:
                kinds[k] = kinds.get(k, 0) + 1
            r = "FAILED (%d of %d: %s)" % (len(c["bad"]), c["n"], ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items())))
        elif c["gap"]:
            r = c["gap"]
        else:
            r = "refused (%d of %d)" % (c["n"], c["n"])
        if c and c["ctl"]:
            r += "; %d control(s) FAILED" % len(c["ctl"])
        print("  %-18s %s" % (t, r))
print()
print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
PY
