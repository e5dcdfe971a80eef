# The C++ library for other programs: public headers, libferrix (shared and static), ferrix.pc
# and the CMake package (ferrixConfig.cmake, its version file and the exported targets
# ferrix::ferrix and ferrix::ferrix-static). Everything is relative to the install prefix
# (GNUInstallDirs), so `cmake --install build --prefix P` works for any P. doc/install.md says
# what goes where.

include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ferrix
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hh")

install(TARGETS ferrix-shared ferrix EXPORT ferrixTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(FERRIX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ferrix)
install(EXPORT ferrixTargets NAMESPACE ferrix:: DESTINATION ${FERRIX_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ferrixConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ferrixConfig.cmake
  INSTALL_DESTINATION ${FERRIX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ferrixConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ferrixConfig.cmake ${PROJECT_BINARY_DIR}/ferrixConfigVersion.cmake
        DESTINATION ${FERRIX_CMAKE_DIR})

# ferrix.pc: ${pcfiledir}-relative, so that the file stays right under any prefix. The public
# headers include <nlohmann/json_fwd.hpp>: nlohmann_json is required; the rest is only linked.
file(RELATIVE_PATH FERRIX_PC_PREFIX_FROM_PCDIR
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" FERRIX_PC_PREFIX_FROM_PCDIR "${FERRIX_PC_PREFIX_FROM_PCDIR}")
set(FERRIX_PC_LIBS_PRIVATE "-lpthread")
foreach(lib ${CMAKE_DL_LIBS})
  string(APPEND FERRIX_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/ferrix.pc.in ${PROJECT_BINARY_DIR}/ferrix.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ferrix.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
