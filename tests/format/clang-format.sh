#!/bin/bash
# Every tracked C++ file (git ls-files '*.cc' '*.hh') is as clang-format, with the repository's
# .clang-format, would write it; the files that drift are named. Fix them with
#   clang-format -i FILE...
# Environment: FERRIX_SOURCE_DIR, CLANG_FORMAT (default clang-format).
set -u
source_dir=${FERRIX_SOURCE_DIR:?}
clang_format=${CLANG_FORMAT:-clang-format}

cd "$source_dir" || exit 1
if ! files=$(git ls-files -- '*.cc' '*.hh' 2>/dev/null); then
    echo "skipped: $source_dir is not a git checkout" >&2
    exit 77
fi
if [ -z "$files" ]; then
    echo "error: git ls-files lists no C++ file in $source_dir" >&2
    exit 1
fi
count=$(wc -l <<<"$files")

# One clang-format for all files; each drifting line is reported as
# "FILE:LINE:COLUMN: error: code should be clang-formatted [-Wclang-format-violations]".
mapfile -t list <<<"$files"
if output=$("$clang_format" --dry-run --Werror "${list[@]}" 2>&1); then
    echo "$count C++ files formatted as .clang-format says"
    exit 0
fi
drift=$(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' \
            <<<"$output" | sort -u)
if [ -z "$drift" ]; then
    echo "error: clang-format failed:" >&2
    echo "$output" >&2
    exit 1
fi
echo "error: $(wc -l <<<"$drift") of $count C++ files differ from what clang-format writes:" >&2
sed 's/^/  /' <<<"$drift" >&2
echo "run: clang-format -i FILE..." >&2
exit 1
