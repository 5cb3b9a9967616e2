#!/usr/bin/env bash
# Make sure a Java runtime ansible-rulebook can use (17 or newer, for drools_jpy) is installed.
# On Debian or Ubuntu, as root, install it from the distribution's packages when it is missing;
# anywhere else, say what to install. Prints nothing when Java is already there.
set -euo pipefail

# The headless runtime of the oldest release ansible-rulebook supports that the distribution has
# (Debian 12: 17; Debian 13: 21 only); EDA_JAVA_PACKAGE names another.
candidates=${EDA_JAVA_PACKAGE:-openjdk-17-jre-headless openjdk-21-jre-headless}

java_major() {
  # `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' (or "1.8.0_392" before 9).
  command -v java >/dev/null 2>&1 || return 1
  java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.\([0-9]*\)\)\{0,1\}.*/\1 \3/p' | head -1 |
    awk '{ print ($1 == 1 ? $2 : $1) }'
}

major=$(java_major || true)
if [ -n "$major" ] && [ "$major" -ge 17 ]; then
  exit 0
fi
have=${major:+Java $major is too old}
have=${have:-no java on PATH}

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ansible-rulebook needs a Java runtime 17 or newer ($have): install one (e.g. OpenJDK 17) and put java on PATH, then re-run." >&2
  exit 1
fi
first=${candidates%% *}
if [ "$(id -u)" -ne 0 ]; then
  echo "ansible-rulebook needs a Java runtime 17 or newer ($have): run 'sudo apt-get update && sudo apt-get install -y $first', or run make as root, then re-run." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
package=
for candidate in $candidates; do
  if apt-cache show "$candidate" >/dev/null 2>&1; then
    package=$candidate
    break
  fi
done
if [ -z "$package" ]; then
  echo "ansible-rulebook needs a Java runtime 17 or newer ($have), and apt knows none of: $candidates. Install one, or name its package in EDA_JAVA_PACKAGE." >&2
  exit 1
fi
echo "installing $package (ansible-rulebook needs Java 17 or newer; $have)"
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
major=$(java_major || true)
if [ -z "$major" ] || [ "$major" -lt 17 ]; then
  echo "installed $package but java still reports '${major:-nothing}': put a Java 17+ runtime first on PATH" >&2
  exit 1
fi
