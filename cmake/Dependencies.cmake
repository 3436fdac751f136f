# Every dependency comes from a Debian bookworm package. A missing one stops the
# configure step with the name of the package that provides it.
find_package(PkgConfig)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

macro(rdisplay_require_pkg var module debpkg)
  pkg_check_modules(${var} IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debpkg}")
  endif()
endmacro()

macro(rdisplay_require_cmake name debpkg)
  find_package(${name} CONFIG QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${name} not found: apt-get install ${debpkg}")
  endif()
endmacro()

macro(rdisplay_require_header var header debpkg)
  find_path(${var} ${header})
  if(NOT ${var})
    message(FATAL_ERROR "${header} not found: apt-get install ${debpkg}")
  endif()
endmacro()

find_package(Threads REQUIRED)
rdisplay_require_pkg(ZSTD libzstd libzstd-dev)
rdisplay_require_pkg(TURBOJPEG libturbojpeg libturbojpeg0-dev)
rdisplay_require_pkg(LIBJPEG libjpeg libjpeg62-turbo-dev)
rdisplay_require_pkg(XXHASH libxxhash libxxhash-dev)
rdisplay_require_pkg(FREETYPE freetype2 libfreetype-dev)
rdisplay_require_pkg(SDL2 sdl2 libsdl2-dev)
rdisplay_require_pkg(PNG libpng libpng-dev)
rdisplay_require_pkg(VNCSERVER libvncserver libvncserver-dev)
rdisplay_require_pkg(VNCCLIENT libvncclient libvncserver-dev)
rdisplay_require_pkg(LIBCRYPTO libcrypto libssl-dev)
rdisplay_require_pkg(LIBSSL libssl libssl-dev)
rdisplay_require_cmake(spdlog libspdlog-dev)
rdisplay_require_cmake(CLI11 libcli11-dev)
rdisplay_require_cmake(nlohmann_json nlohmann-json3-dev)
rdisplay_require_cmake(doctest doctest-dev)
rdisplay_require_header(ASIO_INCLUDE_DIR asio.hpp libasio-dev)

# libvncserver and libvncclient export their own, older copies of TurboJPEG's tj*
# functions. Whichever library the dynamic linker loads first wins every call, so the
# real libturbojpeg goes before everything else on the command line of any program that
# links either of them (a link option precedes the objects; CMake would otherwise order
# it after libvnc*).
add_library(rdisplay_turbojpeg_first INTERFACE)
target_link_options(rdisplay_turbojpeg_first INTERFACE
  "LINKER:--push-state,--no-as-needed" ${TURBOJPEG_LINK_LIBRARIES} "LINKER:--pop-state")

add_library(rdisplay_asio INTERFACE)
target_include_directories(rdisplay_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
# asio 1.22 picks aligned_alloc or operator new per translation unit, depending on
# whether a libstdc++ header came before <asio.hpp>; memory allocated in one unit and
# freed in another then mismatches (AddressSanitizer reports it). One choice for all.
target_compile_definitions(rdisplay_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(rdisplay_asio INTERFACE Threads::Threads)

# The glyphs of the demo apps: DejaVu is Debian's default font and is on every desktop.
set(RDISPLAY_FONT_DIR "/usr/share/fonts/truetype/dejavu" CACHE PATH "Folder of the DejaVu fonts")
if(NOT EXISTS "${RDISPLAY_FONT_DIR}/DejaVuSans.ttf")
  message(FATAL_ERROR "DejaVuSans.ttf not found in ${RDISPLAY_FONT_DIR}: apt-get install fonts-dejavu-core")
endif()
