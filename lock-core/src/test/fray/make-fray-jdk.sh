#!/bin/bash
# Prepares the JDK 25 that Fray's prepare-fray goal instruments (it runs <jdk>/bin/jlink on <jdk>/jmods).
# A JDK without jmods (JEP 493, "linkable run-time image", as the Temurin 25 packages here) gets a shim
# in $2: symlinks to the JDK, and a jlink wrapper that links from the run-time image instead (every
# system module except jdk.jlink/jdk.jpackage, which such a link cannot include).
# Usage: make-fray-jdk.sh <base JDK 25 home> <output dir>
set -euo pipefail
base="${1:?base JDK home}"
out="${2:?output dir}"
if [ -d "$base/jmods" ]; then
  mkdir -p "$(dirname "$out")"; rm -rf "$out"; ln -s "$base" "$out"; exit 0
fi
[ -x "$out/bin/jlink" ] && exit 0
rm -rf "$out"; mkdir -p "$out/bin" "$out/jmods"
for e in "$base"/*; do b=$(basename "$e"); [ "$b" = bin ] || ln -s "$e" "$out/$b"; done
for e in "$base"/bin/*; do b=$(basename "$e"); [ "$b" = jlink ] || ln -s "$e" "$out/bin/$b"; done
cat > "$out/bin/jlink" <<SHIM
#!/bin/bash
mods=\$("$base/bin/java" --list-modules | sed 's/@.*//' | grep -v -E '^(jdk.jlink|jdk.jpackage)\$' | paste -sd, -)
args=()
for a in "\$@"; do
  case "\$a" in
    --module-path=*/jmods) ;;
    --add-modules=ALL-MODULE-PATH) args+=("--add-modules=\$mods") ;;
    *) args+=("\$a") ;;
  esac
done
exec "$base/bin/jlink" "\${args[@]}"
SHIM
chmod +x "$out/bin/jlink"
