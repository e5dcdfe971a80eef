// Conversions: see convert.hh. Lists are converted in two trampoline passes over the Scheme
// value: the first checks the shape and counts strings, the C++ side then sizes its buffers, and
// the second fills them (writes into pre-sized memory only, nothing that allocates on the C++
// heap), so a whole list costs two catches however long it is.
#include "convert.hh"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace ferrix::guile {

namespace {

struct Free {
    void operator()(char* p) const noexcept { free(p); }
};

// A string as Guile handed it over: malloc'ed UTF-8.
struct Buf {
    char* data;
    size_t size;
};

// Owns the buffers of one conversion (C++ side).
struct Bufs {
    std::vector<Buf> strings;
    std::vector<size_t> groups;
    Bufs() = default;
    Bufs(const Bufs&) = delete;
    Bufs& operator=(const Bufs&) = delete;
    ~Bufs() {
        for (auto& b : strings)
            free(b.data);
    }
    std::string at(size_t i) const { return std::string(strings[i].data, strings[i].size); }
};

enum class Shape { Strings, Lists, Alist };

const char* shapeName(Shape s) {
    switch (s) {
    case Shape::Strings:
        return "list of strings";
    case Shape::Lists:
        return "list of non-empty lists of strings";
    case Shape::Alist:
        return "list of pairs of strings";
    }
    return "list";
}

// Scheme side. Checks LIST against SHAPE (raising wrong-type-arg), counts strings and groups
// and, when `out` is given, stores them there (out->strings and out->groups pre-sized).
struct Walk {
    SCM list;
    Shape shape;
    const char* subr;
    int pos;
    size_t strings = 0, groups = 0;
    Bufs* out = nullptr;

    void string(SCM s) {
        if (!scm_is_string(s)) scm_wrong_type_arg_msg(subr, pos, list, shapeName(shape));
        if (out) {
            if (strings >= out->strings.size())
                scm_misc_error(subr, "list changed while it was being converted", SCM_EOL);
            Buf& b = out->strings[strings];
            b.data = scm_to_utf8_stringn(s, &b.size);
        }
        strings++;
    }
    void group(size_t n) {
        if (out) {
            if (groups >= out->groups.size())
                scm_misc_error(subr, "list changed while it was being converted", SCM_EOL);
            out->groups[groups] = n;
        }
        groups++;
    }
    SCM run() {
        if (scm_ilength(list) < 0) scm_wrong_type_arg_msg(subr, pos, list, shapeName(shape));
        for (SCM l = list; scm_is_pair(l); l = scm_cdr(l)) {
            SCM e = scm_car(l);
            switch (shape) {
            case Shape::Strings:
                string(e);
                break;
            case Shape::Alist:
                if (!scm_is_pair(e)) scm_wrong_type_arg_msg(subr, pos, list, shapeName(shape));
                string(scm_car(e));
                string(scm_cdr(e));
                break;
            case Shape::Lists: {
                long n = scm_ilength(e);
                if (n <= 0) scm_wrong_type_arg_msg(subr, pos, list, shapeName(shape));
                for (SCM x = e; scm_is_pair(x); x = scm_cdr(x))
                    string(scm_car(x));
                group(size_t(n));
                break;
            }
            }
        }
        return SCM_UNSPECIFIED;
    }
};

// The two passes; the result's buffers are owned by `bufs`.
void collect(SCM list, Shape shape, const char* subr, int pos, Bufs& bufs) {
    Walk count{list, shape, subr, pos};
    scheme([&] { return count.run(); });
    bufs.strings.assign(count.strings, Buf{nullptr, 0});
    bufs.groups.assign(count.groups, 0);
    Walk fill{list, shape, subr, pos};
    fill.out = &bufs;
    scheme([&] { return fill.run(); });
    scm_remember_upto_here_1(list);
}

bool validUtf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80) return false;
        if (len == 2 && c < 0xc2) return false;
        if (len == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
            return false;
        if (len == 4 &&
            (c > 0xf4 || (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
            return false;
        i += len;
    }
    return true;
}

} // namespace

std::string toString(SCM s) {
    Buf b{nullptr, 0};
    scheme([&] {
        b.data = scm_to_utf8_stringn(s, &b.size);
        return SCM_UNSPECIFIED;
    });
    std::unique_ptr<char, Free> hold(b.data);
    return std::string(b.data, b.size);
}

std::optional<std::string> toStringOpt(SCM s) {
    if (scm_is_false(s)) return std::nullopt;
    return toString(s);
}

std::string toBytes(SCM s) {
    if (scm_is_bytevector(s)) {
        // Macros only: no Scheme call, nothing that can exit non-locally. s is an argument of the
        // primitive, alive until it returns.
        std::string out(reinterpret_cast<const char*>(SCM_BYTEVECTOR_CONTENTS(s)),
                        SCM_BYTEVECTOR_LENGTH(s));
        scm_remember_upto_here_1(s);
        return out;
    }
    return toString(s);
}

std::string toName(SCM s) {
    Buf b{nullptr, 0};
    scheme([&] {
        SCM str = scm_is_symbol(s) ? scm_symbol_to_string(s) : s;
        b.data = scm_to_utf8_stringn(str, &b.size);
        return SCM_UNSPECIFIED;
    });
    std::unique_ptr<char, Free> hold(b.data);
    return std::string(b.data, b.size);
}

std::vector<std::string> toStringList(SCM list, const char* subr, int pos) {
    Bufs bufs;
    collect(list, Shape::Strings, subr, pos, bufs);
    std::vector<std::string> out;
    out.reserve(bufs.strings.size());
    for (size_t i = 0; i < bufs.strings.size(); i++)
        out.push_back(bufs.at(i));
    return out;
}

std::vector<std::vector<std::string>> toStringLists(SCM list, const char* subr, int pos) {
    Bufs bufs;
    collect(list, Shape::Lists, subr, pos, bufs);
    std::vector<std::vector<std::string>> out(bufs.groups.size());
    size_t i = 0;
    for (size_t g = 0; g < bufs.groups.size(); g++)
        for (size_t k = 0; k < bufs.groups[g]; k++)
            out[g].push_back(bufs.at(i++));
    return out;
}

std::vector<std::pair<std::string, std::string>> toStringAlist(SCM list, const char* subr,
                                                               int pos) {
    Bufs bufs;
    collect(list, Shape::Alist, subr, pos, bufs);
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(bufs.strings.size() / 2);
    for (size_t i = 0; i + 1 < bufs.strings.size(); i += 2)
        out.emplace_back(bufs.at(i), bufs.at(i + 1));
    return out;
}

SCM utf8(std::string_view s) {
    if (validUtf8(s)) return scm_from_utf8_stringn(s.data(), s.size());
    return scm_from_stringn(s.data(), s.size(), "UTF-8", SCM_FAILED_CONVERSION_QUESTION_MARK);
}

SCM bytevector(std::string_view bytes) {
    SCM bv = scm_c_make_bytevector(bytes.size());
    if (!bytes.empty()) memcpy(SCM_BYTEVECTOR_CONTENTS(bv), bytes.data(), bytes.size());
    return bv;
}

SCM fromString(std::string_view s) {
    return scheme([&] { return utf8(s); });
}

SCM fromStringList(const std::vector<std::string>& strings) {
    return scheme([&] {
        SCM out = SCM_EOL;
        for (auto it = strings.rbegin(); it != strings.rend(); ++it)
            out = scm_cons(utf8(*it), out);
        return out;
    });
}

SCM fromBytes(std::string_view bytes) {
    return scheme([&] { return bytevector(bytes); });
}

} // namespace ferrix::guile
