// Building, all of it: the scheduler and what it uses (events and their displays, builds in
// isolation, outputs, logs, builtin:download). Each piece has its own header; this one is for
// callers that want the whole.
#pragma once

#include "ferrix/build-display.hh"
#include "ferrix/build-events.hh"
#include "ferrix/build-log.hh"
#include "ferrix/build-outputs.hh"
#include "ferrix/builtin-download.hh"
#include "ferrix/derivation-builder.hh"
#include "ferrix/scheduler.hh"
