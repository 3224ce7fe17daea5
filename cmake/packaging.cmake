# `make package` (cpack -G DEB in the native build): one Debian package, golivekit-observability, with
# what `cmake --install` installs: the libraries, the headers, the CMake package, golivekit-gateway, its
# systemd unit and its example configuration. Installed under /usr.
#
# The dependencies are written out rather than computed (dpkg-shlibdeps is in dpkg-dev, which a machine
# that only builds need not have): the shared libraries the gateway and the exporter load at run time,
# and, recommended, what a find_package consumer compiles against (cpp-httplib's headers and pkg-config
# file, zlib's).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME golivekit-observability)
set(CPACK_PACKAGE_VENDOR "golivekit-observability")
set(CPACK_PACKAGE_CONTACT "golivekit-observability maintainers <observability@golivekit.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libcpp-httplib0.11, zlib1g")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcpp-httplib-dev, zlib1g-dev, pkg-config, cmake")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Prometheus-style metrics for GoliveKit applications: the C++ library (core and native exporter),\n its CMake package, and golivekit-gateway, a server that takes browsers' metrics and serves them to\n Prometheus.")
include(CPack)
