# CTest version.package_json: the npm package's version (package.json, and package-lock.json, which npm
# writes from it) is the CMake project version, the one place the version is written; the C++ header
# and the JS VERSION are generated from the latter. Bump both with e.g. `npm version 0.2.0
# --no-git-tag-version` after editing project(VERSION).
# Usage: cmake -DSOURCE_DIR=<repository> -DEXPECTED=<project version> -P package_version.cmake
foreach(json_file package.json package-lock.json)
  file(READ "${SOURCE_DIR}/${json_file}" json)
  string(JSON version GET "${json}" version)
  if(json_file STREQUAL "package-lock.json")
    string(JSON root_version GET "${json}" packages "" version)
    list(APPEND version "${root_version}")
  endif()
  foreach(v IN LISTS version)
    if(NOT v STREQUAL EXPECTED)
      message(FATAL_ERROR "${json_file} has version ${v}, CMakeLists.txt project(VERSION ${EXPECTED})")
    endif()
  endforeach()
  message(STATUS "${json_file}: ${version}")
endforeach()
