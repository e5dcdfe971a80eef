// What "every core" means: the processors this process may run on. The one count behind the
// default -M (through the Guile binding), the jobserver's tokens and a build's NIX_BUILD_CORES,
// so that the three agree under taskset or a container's cpuset.
#pragma once

namespace ferrix {

// The processors in this process's affinity mask (sched_getaffinity), at least 1.
unsigned usableCores();

} // namespace ferrix
