# (ferrix config) and the build-side directory.
#
# The build-side directory becomes, once added to the store, the program every derivation made by a
# build system runs (see modules/ferrix/build-system.scm):
#
#   bin/ferrix                                   the launcher (target ferrix-cli)
#   lib/libguile-ferrix.so                       the Guile extension (target guile-ferrix)
#   share/guile/site/3.0/ferrix/records.scm      build-side modules
#   share/guile/site/3.0/ferrix/build/*.scm
#   lib/guile/3.0/site-ccache/ferrix/...         the same, compiled
#
# It is assembled at build time in ${PROJECT_BINARY_DIR}/build-side (target ferrix-build-side) and
# installed to ${CMAKE_INSTALL_LIBEXECDIR}/ferrix/build-side.  (ferrix config) records where it is;
# it is generated as ${PROJECT_BINARY_DIR}/modules/ferrix/config.scm, so build-tree load paths must
# include ${PROJECT_BINARY_DIR}/modules.

set(FERRIX_BUILD_SIDE_DIR ${PROJECT_BINARY_DIR}/build-side)
set(FERRIX_BUILD_SIDE_INSTALL_DIR ${CMAKE_INSTALL_LIBEXECDIR}/ferrix/build-side)
# The installed (ferrix config) finds it relative to its own file, so that `cmake --install
# --prefix P` works for any P (the launcher does the same, guile/ferrix.cc); only absolute
# directories are recorded as they are.
if(IS_ABSOLUTE "${FERRIX_BUILD_SIDE_INSTALL_DIR}")
  set(FERRIX_BUILD_SIDE_FROM_SITE_DIR ${FERRIX_BUILD_SIDE_INSTALL_DIR})
elseif(IS_ABSOLUTE "${FERRIX_INSTALL_SITEDIR}")
  set(FERRIX_BUILD_SIDE_FROM_SITE_DIR ${CMAKE_INSTALL_PREFIX}/${FERRIX_BUILD_SIDE_INSTALL_DIR})
else()
  file(RELATIVE_PATH FERRIX_BUILD_SIDE_FROM_SITE_DIR "/prefix/${FERRIX_INSTALL_SITEDIR}"
       "/prefix/${FERRIX_BUILD_SIDE_INSTALL_DIR}")
endif()

# (ferrix config): one file for the build tree and the installation, which chooses at run time
# (see modules/ferrix/config.scm.in).  It is installed with the other modules from
# ${PROJECT_BINARY_DIR}/modules.
set(FERRIX_BUILD_TREE_MODULE_DIR ${PROJECT_BINARY_DIR}/modules)
configure_file(${PROJECT_SOURCE_DIR}/modules/ferrix/config.scm.in
               ${FERRIX_BUILD_TREE_MODULE_DIR}/ferrix/config.scm @ONLY)

# The build-side modules: the build/ directory, and what it uses.
file(GLOB FERRIX_BUILD_SIDE_MODULES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/modules/ferrix/build/*.scm)
set(FERRIX_BUILD_SIDE_SUPPORT_MODULES ${PROJECT_SOURCE_DIR}/modules/ferrix/records.scm)

# Their compiled forms (made by guile/CMakeLists.txt) go to lib/guile/3.0/site-ccache, where the
# launcher looks: interpreted, the three modules cost every build about 45 ms of expansion.
set(FERRIX_BUILD_SIDE_COMPILED)
foreach(src ${FERRIX_BUILD_SIDE_SUPPORT_MODULES} ${FERRIX_BUILD_SIDE_MODULES})
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/modules ${src})
  string(REGEX REPLACE "\\.scm$" ".go" rel ${rel})
  list(APPEND FERRIX_BUILD_SIDE_COMPILED ${FERRIX_CCACHE_DIR}/${rel})
endforeach()

# The binaries lose their debugging information (not their symbols): a RelWithDebInfo extension
# is about 38 MB, which every fresh store would copy and hash for a 3 MB program.
if(CMAKE_OBJCOPY)
  set(_install_binary ${CMAKE_OBJCOPY} --strip-debug)
else()
  set(_install_binary ${CMAKE_COMMAND} -E copy)
endif()

set(_site ${FERRIX_BUILD_SIDE_DIR}/share/guile/site/3.0)
set(_ccache ${FERRIX_BUILD_SIDE_DIR}/lib/guile/3.0/site-ccache)
set(_commands
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${FERRIX_BUILD_SIDE_DIR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${FERRIX_BUILD_SIDE_DIR}/bin ${FERRIX_BUILD_SIDE_DIR}/lib
          ${_site}/ferrix/build ${_ccache}/ferrix/build
  COMMAND ${_install_binary} $<TARGET_FILE:ferrix-cli> ${FERRIX_BUILD_SIDE_DIR}/bin/ferrix
  COMMAND ${CMAKE_COMMAND} -E copy ${FERRIX_BUILD_SIDE_SUPPORT_MODULES} ${_site}/ferrix/
  COMMAND ${CMAKE_COMMAND} -E copy ${FERRIX_BUILD_SIDE_MODULES} ${_site}/ferrix/build/)
foreach(go ${FERRIX_BUILD_SIDE_COMPILED})
  file(RELATIVE_PATH rel ${FERRIX_CCACHE_DIR} ${go})
  list(APPEND _commands COMMAND ${CMAKE_COMMAND} -E copy ${go} ${_ccache}/${rel})
endforeach()
set(_depends ferrix-cli ${FERRIX_BUILD_SIDE_MODULES} ${FERRIX_BUILD_SIDE_SUPPORT_MODULES}
    ${FERRIX_BUILD_SIDE_COMPILED})
if(TARGET guile-ferrix)
  list(APPEND _commands
    COMMAND ${_install_binary} $<TARGET_FILE:guile-ferrix>
            ${FERRIX_BUILD_SIDE_DIR}/lib/libguile-ferrix.so)
  list(APPEND _depends guile-ferrix)
endif()

# The stamp lives outside the directory, which must hold nothing else.
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/build-side.stamp
  ${_commands}
  COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/build-side.stamp
  DEPENDS ${_depends}
  COMMENT "Assembling the build-side directory"
  VERBATIM)
add_custom_target(ferrix-build-side ALL DEPENDS ${PROJECT_BINARY_DIR}/build-side.stamp)
# The compiled modules are another directory's custom outputs: order by target as well.
add_dependencies(ferrix-build-side ferrix-scheme)

install(DIRECTORY ${FERRIX_BUILD_SIDE_DIR}/
        DESTINATION ${FERRIX_BUILD_SIDE_INSTALL_DIR}
        USE_SOURCE_PERMISSIONS)

unset(_site)
unset(_ccache)
unset(_install_binary)
unset(_commands)
unset(_depends)
