// Hash and encoding primitives. Hashes are returned as bytevectors; (ferrix hash) and
// (ferrix base32) name them.
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"

#include "ferrix/hash.hh"
#include "ferrix/nar.hh"

#include <sys/stat.h>

namespace ferrix::guile {

namespace {

#define SUBR "%hash-string"
// ALGO DATA: DATA a bytevector, or a string hashed as UTF-8.
SCM primHashString(SCM algo, SCM data) {
    checkSymbolOrString(algo, 1, SUBR);
    checkStringOrBytevector(data, 2, SUBR);
    return guarded(SUBR, [&] {
        HashAlgo a = parseHashAlgo(toName(algo));
        Hash h = ferrix::hashString(a, toBytes(data));
        return fromBytes(h.view());
    });
}
#undef SUBR

#define SUBR "%hash-file"
// ALGO FILE: the flat hash of a regular file's contents.
SCM primHashFile(SCM algo, SCM file) {
    checkSymbolOrString(algo, 1, SUBR);
    checkString(file, 2, SUBR);
    return guarded(SUBR, [&] {
        HashAlgo a = parseHashAlgo(toName(algo));
        std::string f = toString(file);
        struct stat st;
        if (::stat(f.c_str(), &st) != 0) throw SysError("getting status of '" + f + "'");
        if (S_ISDIR(st.st_mode)) throw Error("'" + f + "' is a directory; use nar-hash");
        return fromBytes(hashFile(a, f).view());
    });
}
#undef SUBR

#define SUBR "%nar-hash"
// ALGO FILE: the hash of FILE's NAR serialisation, and the NAR's size (two values).
SCM primNarHash(SCM algo, SCM file) {
    checkSymbolOrString(algo, 1, SUBR);
    checkString(file, 2, SUBR);
    return guarded(SUBR, [&] {
        HashAlgo a = parseHashAlgo(toName(algo));
        NarHash nh = hashPath(a, toString(file));
        return scheme(
            [&] { return scm_values_2(bytevector(nh.hash.view()), scm_from_uint64(nh.size)); });
    });
}
#undef SUBR

#define SUBR "%nix32-encode"
SCM primNix32Encode(SCM bv) {
    checkBytevector(bv, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(ferrix::nix32Encode(toBytes(bv))); });
}
#undef SUBR

#define SUBR "%nix32-decode"
SCM primNix32Decode(SCM str) {
    checkString(str, 1, SUBR);
    return guarded(SUBR, [&] {
        std::string s = toString(str);
        if (s.empty()) return fromBytes("");
        // nix32 of n bytes has ceil(8n/5) characters; find the n this length belongs to.
        size_t size = s.size() * 5 / 8;
        try {
            if (nix32Len(size) != s.size())
                throw BadHash("invalid length " + std::to_string(s.size()));
            return fromBytes(ferrix::nix32Decode(s, size));
        } catch (BadHash& e) {
            throw BadHash("invalid nix-base32 string '" + s + "': " + e.what());
        }
    });
}
#undef SUBR

#define SUBR "%base16-encode"
SCM primBase16Encode(SCM bv) {
    checkBytevector(bv, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(ferrix::base16Encode(toBytes(bv))); });
}
#undef SUBR

#define SUBR "%base16-decode"
SCM primBase16Decode(SCM str) {
    checkString(str, 1, SUBR);
    return guarded(SUBR, [&] {
        std::string s = toString(str);
        try {
            return fromBytes(ferrix::base16Decode(s));
        } catch (BadHash& e) {
            throw BadHash("invalid base16 string '" + s + "': " + e.what());
        }
    });
}
#undef SUBR

#define SUBR "%base64-encode"
SCM primBase64Encode(SCM bv) {
    checkBytevector(bv, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(ferrix::base64Encode(toBytes(bv))); });
}
#undef SUBR

#define SUBR "%base64-decode"
SCM primBase64Decode(SCM str) {
    checkString(str, 1, SUBR);
    return guarded(SUBR, [&] {
        std::string s = toString(str);
        try {
            return fromBytes(ferrix::base64Decode(s));
        } catch (BadHash& e) {
            throw BadHash("invalid base64 string '" + s + "': " + e.what());
        }
    });
}
#undef SUBR

#define SUBR "%hash-parse"
// ALGO STRING: the bytes of an ALGO hash written in base16, nix32, base64 or SRI (or with an
// "algo:" prefix).
SCM primHashParse(SCM algo, SCM str) {
    checkSymbolOrString(algo, 1, SUBR);
    checkString(str, 2, SUBR);
    return guarded(SUBR, [&] {
        HashAlgo a = parseHashAlgo(toName(algo));
        return fromBytes(Hash::parse(toString(str), a).view());
    });
}
#undef SUBR

const Primitive hashPrimitives[] = {
    {"%hash-string", 2, 0, 0, asSubr(primHashString),
     "Return the ALGO hash (a symbol or string such as sha256) of DATA, a bytevector or a string\n"
     "hashed as UTF-8, as a bytevector."},
    {"%hash-file", 2, 0, 0, asSubr(primHashFile),
     "Return the ALGO hash of the contents of FILE, a regular file, as a bytevector."},
    {"%nar-hash", 2, 0, 0, asSubr(primNarHash),
     "Return two values: the ALGO hash of the NAR serialisation of FILE, as a bytevector, and\n"
     "the NAR's size."},
    {"%hash-parse", 2, 0, 0, asSubr(primHashParse),
     "Return the bytes of the ALGO hash written in STRING: base16, nix32, base64, SRI, or any of\n"
     "them after an \"ALGO:\" prefix."},
    {"%nix32-encode", 1, 0, 0, asSubr(primNix32Encode),
     "Return BYTEVECTOR in Nix's base32 (nix32)."},
    {"%nix32-decode", 1, 0, 0, asSubr(primNix32Decode),
     "Return the bytevector that STRING, in nix32, encodes."},
    {"%base16-encode", 1, 0, 0, asSubr(primBase16Encode),
     "Return BYTEVECTOR in lower-case hexadecimal."},
    {"%base16-decode", 1, 0, 0, asSubr(primBase16Decode),
     "Return the bytevector that STRING, in hexadecimal, encodes."},
    {"%base64-encode", 1, 0, 0, asSubr(primBase64Encode), "Return BYTEVECTOR in base64, padded."},
    {"%base64-decode", 1, 0, 0, asSubr(primBase64Decode),
     "Return the bytevector that STRING, in base64, encodes."},
};

} // namespace

void defineHashPrimitives() {
    definePrimitives(hashPrimitives);
}

} // namespace ferrix::guile
