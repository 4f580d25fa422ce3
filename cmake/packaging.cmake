# Installing and packaging perfledger (included at the end of the top-level CMakeLists.txt).
#
# `cmake --install` puts the perfledger binary (the dashboard is embedded in it) under bin/ and
# its man page, perfledger(1), under share/man/man1. The page is generated from the binary's own
# --help by help2man at build time (target perfledger_man, part of ALL; cmake/man_page.cmake),
# so it always matches the binary next to it.
#
# CPack makes two packages from the same install tree:
# - DEB: perfledger_<version>_<arch>.deb, installed under /usr. Its Depends field is computed
#   by dpkg-shlibdeps from the binary's DT_NEEDED libraries, so it is right for whatever the
#   build links: a sanitized build (preset ci) also depends on libasan8 and libubsan1.
# - TGZ: perfledger-<version>-<system>-<arch>.tar.gz (linux-x86_64 here), relocatable: every
#   path inside is relative to its top directory (bin/perfledger,
#   share/man/man1/perfledger.1.gz), and the binary has no RPATH, so it runs from wherever it is
#   unpacked on a machine with the same libraries. Off Linux, only the tarball.
# scripts/package.sh builds the release preset and makes both; tests/package checks them.
if(PERFLEDGER_FUZZ)
  return()  # libFuzzer builds are not something to install.
endif()

include(GNUInstallDirs)

find_program(HELP2MAN_EXECUTABLE help2man)
if(NOT HELP2MAN_EXECUTABLE)
  message(FATAL_ERROR
    "help2man was not found: perfledger's man page is generated from its --help with it. "
    "Install it with scripts/setup-deps.sh (Debian package help2man).")
endif()
find_program(GZIP_EXECUTABLE gzip REQUIRED)

set(PERFLEDGER_MAN_PAGE "${CMAKE_BINARY_DIR}/man/perfledger.1.gz")
add_custom_command(
  OUTPUT "${PERFLEDGER_MAN_PAGE}"
  COMMAND "${CMAKE_COMMAND}" "-DPERFLEDGER=$<TARGET_FILE:perfledger>"
          "-DHELP2MAN=${HELP2MAN_EXECUTABLE}" "-DGZIP=${GZIP_EXECUTABLE}"
          "-DWORK_DIR=${CMAKE_BINARY_DIR}/man" "-DOUT=${PERFLEDGER_MAN_PAGE}"
          -P "${PROJECT_SOURCE_DIR}/cmake/man_page.cmake"
  DEPENDS perfledger "${PROJECT_SOURCE_DIR}/cmake/man_page.cmake"
  COMMENT "Generating perfledger(1) from perfledger --help (help2man)"
  VERBATIM)
add_custom_target(perfledger_man ALL DEPENDS "${PERFLEDGER_MAN_PAGE}")

install(TARGETS perfledger RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(FILES "${PERFLEDGER_MAN_PAGE}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")

string(TOLOWER "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}" perfledger_system)
set(CPACK_PACKAGE_NAME perfledger)
set(CPACK_PACKAGE_VENDOR perfledger)
set(CPACK_PACKAGE_CONTACT "perfledger developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "continuous benchmarking for repositories that move fast")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "perfledger decides which commits to benchmark, runs the benchmarks on several platforms, "
    "collects every platform's results atomically into one history (SQLite or PostgreSQL), "
    "tells real regressions from noise per environment and serves a dashboard.")
# A Debian package only where dpkg-shlibdeps can compute its Depends.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(CPACK_GENERATOR DEB TGZ)
else()
  set(CPACK_GENERATOR TGZ)
endif()
set(CPACK_PACKAGE_FILE_NAME "perfledger-${PROJECT_VERSION}-${perfledger_system}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
