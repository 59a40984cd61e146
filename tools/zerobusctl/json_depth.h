#pragma once
// A pre-check for JSON from the network before it is parsed into a DOM: nesting depth is
// counted in one pass (strings and escapes skipped), so a hostile document of millions of
// '[' cannot exhaust the stack of whatever walks or destroys the tree.
//
// Pure function; thread-safe. Says nothing about validity: the parser decides that.

#include <string_view>

namespace zerobusd::ctl {

// False when objects and arrays nest deeper than `max_depth` anywhere in `json`.
bool jsonDepthWithin(std::string_view json, int max_depth);

}  // namespace zerobusd::ctl
