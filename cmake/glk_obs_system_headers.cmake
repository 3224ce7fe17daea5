# Header-only system dependencies ({fmt}, doctest) exposed through a build-tree folder of symlinks.
#
# em++ must never see /usr/include (E7 in docs/building.md: glibc headers clash with emscripten's libc), so
# instead of adding /usr/include we link only the wanted header folders into
# ${PROJECT_BINARY_DIR}/sysinc and add that folder as a SYSTEM include directory. Natively the same
# folder is used, so both builds take the same path through this file.
set(GLK_OBS_SYSINC_DIR "${PROJECT_BINARY_DIR}/sysinc")
file(MAKE_DIRECTORY "${GLK_OBS_SYSINC_DIR}")

# glk_obs_link_system_headers(<folder> <probe header> <package>)
#   Finds <folder>/<probe header> outside the cross-compiling root and links
#   ${GLK_OBS_SYSINC_DIR}/<folder> to it. Fails with the Debian package to install otherwise.
function(glk_obs_link_system_headers folder probe package)
  string(TOUPPER "${folder}" upper)
  set(var "GLK_OBS_${upper}_INCLUDE_DIR")
  find_path(
    ${var} "${folder}/${probe}"
    PATHS /usr/include /usr/local/include
    NO_CMAKE_FIND_ROOT_PATH
    DOC "Directory containing ${folder}/${probe} (header-only, linked into ${GLK_OBS_SYSINC_DIR})")
  if(NOT ${var})
    message(FATAL_ERROR "${folder}/${probe} not found: install ${package} (make deps), or set ${var}")
  endif()
  file(CREATE_LINK "${${var}}/${folder}" "${GLK_OBS_SYSINC_DIR}/${folder}" SYMBOLIC)
endfunction()
