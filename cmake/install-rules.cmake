# Install rules: headers, the libraries and a relocatable CMake package, so that consumers write
#   find_package(golivekit_observability CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE golivekit::observability)        # the core
#   target_link_libraries(app PRIVATE golivekit::observability_http)   # + the native exporter (natively)
include(CMakePackageConfigHelpers)

set(GLK_OBS_PACKAGE golivekit_observability)
set(GLK_OBS_INSTALL_CMAKEDIR
    "${CMAKE_INSTALL_LIBDIR}/cmake/${GLK_OBS_PACKAGE}"
    CACHE STRING "Install directory of the CMake package files, relative to the prefix")
mark_as_advanced(GLK_OBS_INSTALL_CMAKEDIR)

install(
  DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT ${GLK_OBS_PACKAGE}_Development
  FILES_MATCHING
  PATTERN "*.h"
  PATTERN "*.hpp")

# Generated from project(VERSION) by core/CMakeLists.txt.
install(
  FILES "${GLK_OBS_GENERATED_INCLUDE_DIR}/golivekit/observability/version.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/golivekit/observability"
  COMPONENT ${GLK_OBS_PACKAGE}_Development)

set(glk_obs_install_targets golivekit_observability_core)
if(TARGET golivekit_observability_http)
  install(
    DIRECTORY "${PROJECT_SOURCE_DIR}/native/include/"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
    COMPONENT ${GLK_OBS_PACKAGE}_Development
    FILES_MATCHING
    PATTERN "*.h")
  list(APPEND glk_obs_install_targets golivekit_observability_http)
endif()

install(
  TARGETS ${glk_obs_install_targets}
  EXPORT ${GLK_OBS_PACKAGE}Targets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT ${GLK_OBS_PACKAGE}_Development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT ${GLK_OBS_PACKAGE}_Runtime
          NAMELINK_COMPONENT ${GLK_OBS_PACKAGE}_Development
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT ${GLK_OBS_PACKAGE}_Runtime)

install(
  EXPORT ${GLK_OBS_PACKAGE}Targets
  NAMESPACE golivekit::
  DESTINATION "${GLK_OBS_INSTALL_CMAKEDIR}"
  COMPONENT ${GLK_OBS_PACKAGE}_Development)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/${GLK_OBS_PACKAGE}Config.cmake.in"
  "${PROJECT_BINARY_DIR}/${GLK_OBS_PACKAGE}Config.cmake"
  INSTALL_DESTINATION "${GLK_OBS_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/${GLK_OBS_PACKAGE}ConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)

install(
  FILES "${PROJECT_BINARY_DIR}/${GLK_OBS_PACKAGE}Config.cmake"
        "${PROJECT_BINARY_DIR}/${GLK_OBS_PACKAGE}ConfigVersion.cmake"
  DESTINATION "${GLK_OBS_INSTALL_CMAKEDIR}"
  COMPONENT ${GLK_OBS_PACKAGE}_Development)

# The license, where Debian and GNUInstallDirs put a package's documentation.
install(
  FILES "${PROJECT_SOURCE_DIR}/LICENSE"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${GLK_OBS_PACKAGE}"
  COMPONENT ${GLK_OBS_PACKAGE}_Runtime)

# The build tree is usable as a package too: -Dgolivekit_observability_DIR=<build dir>.
export(
  EXPORT ${GLK_OBS_PACKAGE}Targets
  NAMESPACE golivekit::
  FILE "${PROJECT_BINARY_DIR}/${GLK_OBS_PACKAGE}Targets.cmake")
