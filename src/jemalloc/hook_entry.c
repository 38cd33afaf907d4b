/* hook_entry.c - linked into jeinit's own libjemalloc.so.2: the agent's way
 * to put its wake-up hook in and take it out without mallctl().
 *
 * Any mallctl() first initialises jemalloc's ctl module (ctl_init), which
 * allocates and clears the statistics of every arena: measured, 30 more page
 * faults and 0.08 ms more CPU in each exec of /bin/true under jeinit (154
 * faults against 124 with the agent loaded but idle), for processes whose
 * figures nobody will read because they exit within the agent's delay. The
 * agent reads statistics only once the process has lived that long, and ctl
 * is initialised then.
 *
 * These are what mallctl("experimental.hooks.install") and
 * ("experimental.hooks.remove") do once past ctl (ctl.c,
 * experimental_hooks_{install,remove}_ctl), with the null tsdn that jemalloc
 * itself passes where it has no thread state at hand. They use jemalloc
 * 5.3.0's internal functions (hook.c), which build.sh pins: the agent finds
 * them as weak symbols, and with any other jemalloc goes through mallctl. */
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

/* jemalloc 5.3.0, src/hook.c (hidden in the library, so bound at link time):
 *   void *hook_install(tsdn_t *tsdn, hooks_t *to_install);
 *   void hook_remove(tsdn_t *tsdn, void *opaque);
 * hooks_t is copied on install: four pointers, as the agent's struct je_hooks. */
struct tsdn_s;
size_t nallocx(size_t size, int flags); /* public: <jemalloc/jemalloc.h> */
void *je_hook_install(struct tsdn_s *tsdn, void *to_install);
void je_hook_remove(struct tsdn_s *tsdn, void *opaque);

EXPORT void *jeinit_hook_install(void *hooks);
EXPORT void jeinit_hook_remove(void *handle);

/* Returns the handle for jeinit_hook_remove, NULL when jemalloc could not
 * initialise or every slot is taken. */
EXPORT void *jeinit_hook_install(void *hooks)
{
    /* jemalloc initialised first, as mallctl() would: its hook mutex, and
     * its fork handlers registered before the caller's (the agent's child
     * handler must run after jemalloc's has reset its locks). nallocx()
     * initialises and allocates nothing (free(malloc(1)) would be folded
     * away by the compiler, and did deadlock forked children). */
    if (nallocx(1, 0) == 0)
        return NULL;
    return je_hook_install(NULL, hooks);
}

EXPORT void jeinit_hook_remove(void *handle)
{
    if (handle)
        je_hook_remove(NULL, handle);
}
