// The shortest round-trip digits of a double, from the JS engine (see core/src/exposition/float_format.cc): String(v)
// is ECMA-262's Number::toString, which picks the shortest digit string that reads back as v (and the
// nearest one among those), exactly as {fmt}'s Dragonbox does natively. It is only ever called with
// finite, non-integral or large values; the result is ASCII, at most 25 characters.
#include <emscripten/emscripten.h>

EM_JS(int, glk_obs_host_shortest, (double v, char* out), {
  var s = String(v);
  for (var i = 0; i < s.length; i++) HEAPU8[out + i] = s.charCodeAt(i);
  return s.length;
});
