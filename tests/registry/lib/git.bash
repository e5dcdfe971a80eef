# What the git tests share (source this file): repositories made with the host's git, without
# the user's or the system's configuration, with a fixed author, on branch main. `g` runs git so.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=ferrix GIT_AUTHOR_EMAIL=ferrix@example.org
export GIT_COMMITTER_NAME=ferrix GIT_COMMITTER_EMAIL=ferrix@example.org
g() { git -c init.defaultBranch=main -c protocol.file.allow=always "$@"; }
