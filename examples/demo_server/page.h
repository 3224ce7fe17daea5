#pragma once
// The demo page: plain HTML + inline CSS/JS, no external resources. It connects, joins the room given
// by ?room= (default "lobby"), applies the server's diffs, long-polls for diffs caused by other tabs,
// and sends a leave beacon on pagehide.
#include <string_view>

namespace demo {

std::string_view PageHtml();

}  // namespace demo
