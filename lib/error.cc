#include "ferrix/error.hh"

#include <cerrno>
#include <cstring>

namespace ferrix {

SysError::SysError(int err, const std::string& what)
    : Error(what + ": " + std::strerror(err)), errNo(err) {}

SysError::SysError(const std::string& what) : SysError(errno, what) {}

} // namespace ferrix
