/* dropids: drops root the way privilege-dropping wrappers do, with the order
 * that breaks when another thread lives in the process: PR_SET_KEEPCAPS, the
 * uid first, capabilities raised again, then the gid. glibc applies each
 * set*id to every thread; a thread without the capabilities (one injected
 * into the process, which does not share the per-thread keepcaps) fails it,
 * and glibc aborts the process. Prints the ids it ends with. */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    uid_t r, e, s;
    gid_t gr, ge, gs;

    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(65534, 65534, 65534) < 0) {
        perror("dropids: keepcaps, setresuid");
        return 1;
    }
    if (syscall(SYS_capget, &hdr, data) < 0) {
        perror("dropids: capget");
        return 1;
    }
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (syscall(SYS_capset, &hdr, data) < 0 || setresgid(65534, 65534, 65534) < 0) {
        perror("dropids: capset, setresgid");
        return 1;
    }
    if (getresuid(&r, &e, &s) < 0 || getresgid(&gr, &ge, &gs) < 0)
        return 1;
    printf("uid %u %u %u gid %u %u %u\n", r, e, s, gr, ge, gs);
    return 0;
}
