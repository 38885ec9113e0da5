#!/usr/bin/env bash
# Builds the wheel users install with pip or pipx: OUTDIR/giltracer-VERSION-py3-none-manylinux_2_NN_ARCH.whl
# (OUTDIR: the first argument, default dist/ in the checkout), and prints its path on the last line.
#   - the Native AOT binary (dotnet publish), installed by pip as the `giltracer` command in the environment's bin/;
#   - the `giltracer` Python package: python/giltracer.py as its __init__ (`%load_ext giltracer`), the IPython
#     extension and the thread-name hook it uses, and `python -m giltracer`, which exec's the binary.
# The binary runs the bootstrap, function tracer and site hook it embeds (python/*.py, written next to the
# outputs at run time), so the wheel carries no second copy of them.
# VERSION is Directory.Build.props' <Version>; NN is the newest GLIBC_ symbol version the binary imports.
# Needs the .NET SDK, objdump (binutils) and a Python with build, setuptools and wheel (Debian: apt-get install
# python3-build python3-setuptools python3-wheel); offline: no package index is used.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "${1:-$here/dist}"
out="$(cd "${1:-$here/dist}" && pwd)"

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Directory.Build.props")
[ -n "$version" ] || { echo "build-wheel: no <Version> in $here/Directory.Build.props" >&2; exit 1; }

python=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "import build, setuptools, wheel" 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || { echo "build-wheel: needs a Python with build, setuptools and wheel (Debian: apt-get install python3-build python3-setuptools python3-wheel)" >&2; exit 1; }
command -v objdump >/dev/null || { echo "build-wheel: needs objdump (Debian: apt-get install binutils)" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
dotnet publish "$here/src/GilTracer" -c Release -o "$stage/publish" --nologo -v quiet >&2
binary="$stage/publish/giltracer"

# The platform tag says what the binary needs: the newest glibc symbol version it imports, and its architecture.
glibc=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -V | tail -n1)
[[ "$glibc" =~ ^2\.[0-9]+$ ]] || { echo "build-wheel: no GLIBC_2.N symbol version in $binary ('$glibc')" >&2; exit 1; }
case "$(objdump -f "$binary" | sed -n 's/^architecture: \([^,]*\).*/\1/p')" in
  i386:x86-64) arch=x86_64 ;;
  aarch64) arch=aarch64 ;;
  *) echo "build-wheel: unknown architecture of $binary" >&2; exit 1 ;;
esac
platform="manylinux_${glibc/./_}_$arch"

src="$stage/src"
mkdir -p "$src/giltracer" "$src/scripts"
cp "$here/packaging/pyproject.toml" "$here/packaging/setup.py" "$here/README.md" "$src/"
cp "$here/python/giltracer.py" "$src/giltracer/__init__.py"
cp "$here/packaging/__main__.py" "$here/python/giltracer_ipython.py" "$here/python/giltracer_names.py" "$src/giltracer/"
cp "$binary" "$src/scripts/giltracer"
echo "$version" > "$src/VERSION"
echo "$platform" > "$src/PLATFORM"

wheel="$out/giltracer-$version-py3-none-$platform.whl"
rm -f "$wheel"
(cd "$src" && "$python" -m build --wheel --no-isolation --outdir "$out" >"$stage/build.log" 2>&1) || { cat "$stage/build.log" >&2; exit 1; }
[ -f "$wheel" ] || { cat "$stage/build.log" >&2; echo "build-wheel: $wheel was not written" >&2; exit 1; }
echo "build-wheel: $(du -h "$wheel" | cut -f1) (binary $(du -h "$binary" | cut -f1), needs glibc $glibc)" >&2
echo "$wheel"
