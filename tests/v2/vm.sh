#!/usr/bin/env bash
# vm.sh [options] -- COMMAND [ARG...]: runs COMMAND as root in a QEMU VM
# booted with Debian's kernel and cgroup_no_v1=all (cgroup2 alone, every
# controller on; see guest.sh), the host's root filesystem read-only under a
# RAM overlay, cwd the host's cwd. Prints COMMAND's stdout and stderr and
# exits with its status; 124 when the VM ran past --timeout (it is killed),
# 125 when it stopped without reporting one (the console's tail on stderr).
#   --timeout S   kill the VM after S seconds               [900]
#   --mem SIZE    guest memory                              [2G]
#   --cpus N      guest CPUs                                [2]
#   --env K=V     export K=V to COMMAND (repeatable)
#   --job DIR     the job directory, kept (stdout, stderr, rc, dmesg,
#                 console.log); default: a temporary one, removed
# JEINIT_V2_CACHE: where the kernel and initramfs are kept
# [${XDG_CACHE_HOME:-~/.cache}/jeinit-v2]. JEINIT_V2_ACCEL: kvm or tcg
# (default: kvm when /dev/kvm can boot a stock kernel, else tcg).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmo=900 mem=2G cpus=2 job= keep=0
envs=()
while [ $# -gt 0 ]; do
    case $1 in
    --timeout) tmo=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --job) job=$2; keep=1; shift 2 ;;
    --) shift; break ;;
    *) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: vm.sh [options] -- COMMAND [ARG...]" >&2; exit 2; }

cache=${JEINIT_V2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeinit-v2}
kver=$("$here/kernel.sh" "$cache") || exit 125

accel=${JEINIT_V2_ACCEL:-}
if [ -z "$accel" ]; then
    # a PVM host's /dev/kvm boots only PVM guest kernels: Debian's hangs there
    if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then accel=kvm; else accel=tcg; fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg,thread=multi,tb-size=256 -cpu max) ;;
*) echo "vm.sh: JEINIT_V2_ACCEL is kvm or tcg" >&2; exit 2 ;;
esac

if [ -n "$job" ]; then
    mkdir -p "$job" && job=$(cd "$job" && pwd) || exit 125
    rm -f "$job"/{stdout,stderr,rc,rc.tmp,started,finished,dmesg,console.log}
else
    job=$(mktemp -d "${TMPDIR:-/tmp}/jeinit-v2.XXXXXX") || exit 125
fi
cp "$here/guest.sh" "$job/guest.sh"
{
    for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
} >"$job/env"
{
    printf 'cd %q || exit 125\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    echo
} >"$job/cmd"

qemu=(qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp "$cpus" -nographic -no-reboot
    -nodefaults -serial stdio -monitor none -nic none
    -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz"
    -append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet no_timer_check i8042.noaux i8042.nokbd"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$job,mount_tag=job,security_model=none")
t0=$(date +%s%N)
# timeout's own process group is the VM's: nothing outlives the deadline
timeout -k 5 "$tmo" "${qemu[@]}" </dev/null >"$job/console.log" 2>&1
qrc=$?
t1=$(date +%s%N)
[ -f "$job/stdout" ] && cat "$job/stdout"
[ -f "$job/stderr" ] && cat "$job/stderr" >&2
if [ -s "$job/rc" ]; then
    rc=$(cat "$job/rc")
elif [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
    echo "vm.sh: the VM ran past ${tmo}s and was killed" >&2
    rc=124
else
    echo "vm.sh: the VM stopped without an exit status (qemu exit $qrc); its console:" >&2
    tail -n 30 "$job/console.log" | tr -d '\r' >&2
    rc=125
fi
echo "vm.sh: kernel $kver, $accel, wall $(((t1 - t0) / 1000000)) ms, boot to command $(cat "$job/started" 2>/dev/null || echo ?) s" >&2
if [ $keep -eq 1 ]; then echo "vm.sh: job directory $job" >&2; else rm -rf "$job"; fi
exit "$rc"
