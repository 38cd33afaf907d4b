/* Unit tests of proctree_descendants: who belongs to jeinit's tree. */
#include "check.h"
#include "proctree.h"

int main(void)
{
    /* 10 is jeinit; 11, 12 its children; 13 a grandchild; 20 a stranger
     * with child 21; 30 <-> 31 a (corrupt) cycle; 40's parent unknown. */
    struct proc_entry e[] = {
        {.pid = 13, .ppid = 12}, {.pid = 10, .ppid = 1},  {.pid = 11, .ppid = 10},
        {.pid = 12, .ppid = 10}, {.pid = 20, .ppid = 1},  {.pid = 21, .ppid = 20},
        {.pid = 30, .ppid = 31}, {.pid = 31, .ppid = 30}, {.pid = 40, .ppid = 99},
        {.pid = 1, .ppid = 0},
    };
    unsigned char mark[10];
    size_t n = sizeof(e) / sizeof(e[0]), count;
    int members = 0, strangers = 0;

    count = proctree_descendants(e, n, 10, mark);
    CHECK_INT(count, 3, "three descendants of 10");
    for (size_t i = 0; i < n; i++) {
        bool want = e[i].pid == 11 || e[i].pid == 12 || e[i].pid == 13;
        if (mark[i] == want)
            want ? members++ : strangers++;
    }
    CHECK_INT(members, 3, "11, 12, 13 marked");
    CHECK_INT(strangers, 7, "root, strangers, cycle and orphan not marked");
    CHECK_INT(proctree_descendants(e, n, 1, mark), 6,
              "from 1: all but the cycle and the orphan of 99");
    CHECK_INT(proctree_descendants(e, 0, 1, mark), 0, "empty table");
    return check_done();
}
