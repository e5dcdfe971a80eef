// Downloading files (the realisation of builtin:download derivations) with libcurl: http, https
// and file URLs, redirects followed, the first URL that works wins. Retries, mirrors and progress
// belong here too when they come.
#pragma once

#include <string>
#include <vector>

namespace ferrix {

// Downloads the first of `urls` that works to the file `dest` (created, mode 0644) and returns
// the URL used. Throws Error naming every URL tried and why each failed.
std::string fetchUrls(const std::vector<std::string>& urls, const std::string& dest);

} // namespace ferrix
