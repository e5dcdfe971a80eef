# The Rust-specific parts of the core (lib/archive.cc, lib/cargo/), their Guile primitives
# (guile/cargo.cc, initialised by init_ferrix_cargo) and the cargo integration tests (label
# "cargo": real cargo and rustc, offline).
target_sources(ferrix PRIVATE
  ${PROJECT_SOURCE_DIR}/lib/archive.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/platform.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/manifest.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/build-script.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/unit-build.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/vendor.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/phases.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/semver.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/units.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/index.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/registry.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/registry-export.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/invocation.cc
  ${PROJECT_SOURCE_DIR}/lib/cargo/config.cc)
target_link_libraries(ferrix PRIVATE PkgConfig::TOMLPP)
# libarchive's headers only: lib/archive.cc opens the library on first use.
target_include_directories(ferrix PRIVATE ${LIBARCHIVE_INCLUDE_DIRS})

if(FERRIX_FUZZ)
  return() # the core library alone (see FERRIX_FUZZ in CMakeLists.txt)
endif()

target_sources(guile-ferrix-objects PRIVATE
  ${PROJECT_SOURCE_DIR}/guile/cargo.cc
  ${PROJECT_SOURCE_DIR}/guile/registry.cc
  ${PROJECT_SOURCE_DIR}/guile/import.cc
  ${PROJECT_SOURCE_DIR}/guile/units.cc)

if(FERRIX_TESTS)
  find_program(CARGO_PROGRAM cargo)
  option(FERRIX_CARGO_TESTS "Run the integration tests that build crates with cargo" ON)
  if(FERRIX_CARGO_TESTS AND CARGO_PROGRAM)
    # tests/cargo/unit-graph.sh compares ferrix's unit graphs, printed by this, with cargo's.
    add_executable(ferrix-unit-graph ${PROJECT_SOURCE_DIR}/tests/cargo/graph/unit-graph.cc)
    target_link_libraries(ferrix-unit-graph PRIVATE ferrix)
    file(GLOB FERRIX_CARGO_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/cargo/*.sh)
    foreach(script ${FERRIX_CARGO_TESTS})
      get_filename_component(name ${script} NAME_WE)
      add_test(NAME cargo.${name} COMMAND bash ${script})
      set_tests_properties(cargo.${name} PROPERTIES LABELS cargo TIMEOUT 600
        ENVIRONMENT "FERRIX=${PROJECT_BINARY_DIR}/ferrix;FERRIX_SOURCE_DIR=${PROJECT_SOURCE_DIR};FERRIX_BUILD_DIR=${PROJECT_BINARY_DIR};FERRIX_UNIT_GRAPH=$<TARGET_FILE:ferrix-unit-graph>;TEST_TMP=${PROJECT_BINARY_DIR}/tests/tmp-cargo-${name}")
    endforeach()
    # The per-crate mode end to end builds wordfreq twice and nine test graphs, unit by unit.
    set_tests_properties(cargo.per-crate PROPERTIES TIMEOUT 1500)
    # The cargo bootstrap builds cargo 0.66's 188 units, then wordfreq twice: 8 min measured at
    # a load of 5 to 9 on 2 cores, 21 min at 12 to 28.
    set_tests_properties(cargo.bootstrap PROPERTIES LABELS "cargo;long" TIMEOUT 2400)
    # The invocations of lib/cargo/invocation.cc against the rustc runs of real cargo builds.
    find_package(GTest REQUIRED)
    add_executable(ferrix-cargo-invocation-tests ${PROJECT_SOURCE_DIR}/tests/cargo/invocation.cc)
    target_link_libraries(ferrix-cargo-invocation-tests PRIVATE ferrix GTest::gtest
                          GTest::gtest_main)
    target_compile_definitions(ferrix-cargo-invocation-tests PRIVATE
      FERRIX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME cargo.invocation COMMAND ferrix-cargo-invocation-tests)
    set_tests_properties(cargo.invocation PROPERTIES LABELS cargo TIMEOUT 1200
      ENVIRONMENT "TEST_TMP=${PROJECT_BINARY_DIR}/tests/tmp-cargo-invocation")
  endif()
  # Registries, the importer and the updater (label "registry"): a registry exported from
  # Debian's crates, served by tests/lib/httpd.py on 127.0.0.1; some build what they import.
  file(GLOB FERRIX_REGISTRY_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/registry/*.sh)
  foreach(script ${FERRIX_REGISTRY_TESTS})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME registry.${name} COMMAND bash ${script})
    set_tests_properties(registry.${name} PROPERTIES LABELS registry TIMEOUT 900
      ENVIRONMENT "FERRIX=${PROJECT_BINARY_DIR}/ferrix;FERRIX_SOURCE_DIR=${PROJECT_SOURCE_DIR};FERRIX_BUILD_DIR=${PROJECT_BINARY_DIR};TEST_TMP=${PROJECT_BINARY_DIR}/tests/tmp-registry-${name}")
  endforeach()
endif()
