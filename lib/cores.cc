// The processors this process may run on. See cores.hh.
#include "ferrix/cores.hh"

#include <algorithm>
#include <cerrno>
#include <sched.h>
#include <thread>

namespace ferrix {

unsigned usableCores() {
    // The mask's size grows until the kernel accepts it: machines may have more than
    // CPU_SETSIZE processors.
    for (int n = CPU_SETSIZE; n <= (1 << 16); n *= 2) {
        cpu_set_t* set = CPU_ALLOC(n);
        if (!set) break;
        size_t size = CPU_ALLOC_SIZE(n);
        CPU_ZERO_S(size, set);
        int rc = ::sched_getaffinity(0, size, set), err = errno;
        unsigned count = rc == 0 ? unsigned(CPU_COUNT_S(size, set)) : 0;
        CPU_FREE(set);
        if (rc == 0) return std::max(1u, count);
        if (err != EINVAL) break;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace ferrix
