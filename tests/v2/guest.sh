# The v2 tier's PID 1 in the guest (busybox sh, copied into the job
# directory by vm.sh): cgroup2 alone on /sys/fs/cgroup, mounted as systemd
# mounts it, every controller enabled for the children of the root; then the
# job's command, its stdout and stderr, exit status and the kernel log into
# the job directory; then power off.
bb=/run/busybox
J=/run/jeinit-v2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
say() { echo "jeinit-v2: $*" >/dev/ttyS0; }
$bb hostname jeinit-v2
$bb ip link set lo up
$bb mount -t cgroup2 -o rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot \
    cgroup2 /sys/fs/cgroup || say "mount cgroup2 failed"
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || say "cannot enable $c"
done
$bb cut -d' ' -f1 /proc/uptime >$J/started
(
    . $J/env
    exec /bin/bash $J/cmd
) >$J/stdout 2>$J/stderr </dev/null
echo $? >$J/rc.tmp
$bb cut -d' ' -f1 /proc/uptime >$J/finished
$bb dmesg >$J/dmesg
$bb mv $J/rc.tmp $J/rc
$bb sync
say "done"
$bb poweroff -f
