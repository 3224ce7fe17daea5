# package.deb: the Debian package `make package` builds, as a user gets it. cpack makes it from the build
# tree, dpkg-deb unpacks it into an empty root (no dpkg database, no root needed), and then:
#   - it holds the program, the unit, the example configuration, the libraries and the CMake package;
#   - the unpacked golivekit-gateway checks the unpacked example configuration;
#   - a find_package consumer (tests/consumer/find_package) builds and runs against the unpacked root.
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DBUILD_TYPE=... -DCXX_COMPILER=...
#       -DCXX_FLAGS=... -DLINKER_FLAGS=... -P package_deb.cmake   (the consumer gets the build's compiler and
#       flags: a sanitizer build's libraries need its runtime)
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "package_deb.cmake: ${var} not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}\nexited ${rc}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/root")
run(cpack -G DEB -B "${WORK_DIR}" --config "${BUILD_DIR}/CPackConfig.cmake")
file(GLOB debs "${WORK_DIR}/golivekit-observability_*_*.deb")
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one golivekit-observability_*.deb in ${WORK_DIR}, found: ${debs}")
endif()
run(dpkg-deb --field "${debs}" Package Version Depends)
message(STATUS "${debs}:\n${last_output}")
run(dpkg-deb -x "${debs}" "${WORK_DIR}/root")

set(root "${WORK_DIR}/root/usr")
foreach(f bin/golivekit-gateway lib/systemd/system/golivekit-gateway.service
          share/doc/golivekit_observability/examples/gateway.jsonc share/doc/golivekit_observability/LICENSE
          include/golivekit/observability.hpp include/golivekit/observability/ingest.h
          lib/cmake/golivekit_observability/golivekit_observabilityConfig.cmake)
  if(NOT EXISTS "${root}/${f}")
    message(FATAL_ERROR "the package has no /usr/${f}")
  endif()
endforeach()

run("${root}/bin/golivekit-gateway" --config "${root}/share/doc/golivekit_observability/examples/gateway.jsonc" --check)
if(NOT last_output MATCHES "valid, 9 client metrics")
  message(FATAL_ERROR "--check of the packaged example: ${last_output}")
endif()

run("${CMAKE_CTEST_COMMAND}" --build-and-test "${SOURCE_DIR}/tests/consumer/find_package" "${WORK_DIR}/consumer"
    --build-generator "${GENERATOR}" --build-options "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
    "-DCMAKE_PREFIX_PATH=${root}" --test-command find_package_consumer)
message(STATUS "the find_package consumer built and ran against the unpacked package")
