// Core's float-digits hook (golivekit/observability/detail/float_hook.h), from the JS engine: String(v)
// is ECMA-262's Number::toString, which picks the shortest digit string that reads back as v (and the
// nearest one among those), exactly as {fmt}'s Dragonbox does natively. The result is ASCII, at most 25
// characters (the hook's contract).
#include <emscripten/emscripten.h>

#include "golivekit/observability/detail/float_hook.h"

#if !defined(GLK_OBS_HOST_SHORTEST_DIGITS)
#error "host_shortest.cc supplies the hook of detail/float_hook.h: build it with GLK_OBS_HOST_SHORTEST_DIGITS"
#endif

EM_JS(int, glk_obs_host_shortest, (double v, char* out), {
  var s = String(v);
  for (var i = 0; i < s.length; i++) HEAPU8[out + i] = s.charCodeAt(i);
  return s.length;
});
