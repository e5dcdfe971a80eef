// The error hierarchy of the core. Every failure the core reports is an ferrix::Error (or a
// subclass); callers at the edges (CLI, Guile boundary) catch Error and print what() alone.
#pragma once

#include <stdexcept>
#include <string>

namespace ferrix {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

// Malformed input: a hash string, a NAR, an ATerm, a store path, a name...
class FormatError : public Error {
    using Error::Error;
};
class BadHash : public FormatError {
    using FormatError::FormatError;
};
class BadNar : public FormatError {
    using FormatError::FormatError;
};
class BadDerivation : public FormatError {
    using FormatError::FormatError;
};
class BadStorePath : public FormatError {
    using FormatError::FormatError;
};

// The operating system said no; the message carries the call, the path and strerror.
class SysError : public Error {
public:
    int errNo;
    SysError(int err, const std::string& what);
    // Uses the current errno.
    explicit SysError(const std::string& what);
};

class StoreError : public Error {
    using Error::Error;
};
class InvalidPath : public StoreError {
    using StoreError::StoreError;
};

// The command line was used wrongly (exit status 2).
class UsageError : public Error {
    using Error::Error;
};

} // namespace ferrix
