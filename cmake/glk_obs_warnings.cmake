# Warning flags, applied per target (never through add_compile_options or CMAKE_CXX_FLAGS).
# GLK_OBS_WERROR turns them into errors; the presets switch it on.
#
# g++ 12 at -O2/-O3 also reports -Wrestrict inside libstdc++ for `"literal" + std::string(...)` (GCC bug
# 105329, fixed in g++ 13): off for g++ < 13 only.
function(glk_obs_target_warnings target)
  target_compile_options(
    ${target}
    PRIVATE $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-Wall -Wextra -Wpedantic>
            $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
            $<$<CXX_COMPILER_ID:MSVC>:/W4>
            $<$<AND:$<BOOL:${GLK_OBS_WERROR}>,$<CXX_COMPILER_ID:GNU,Clang,AppleClang>>:-Werror>
            $<$<AND:$<BOOL:${GLK_OBS_WERROR}>,$<CXX_COMPILER_ID:MSVC>>:/WX>)
endfunction()
