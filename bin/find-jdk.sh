# Sourced by bin/llm4j and .ci/run: sets JAVA_HOME to a JDK of version 25 or newer.
# Order: $JAVA_HOME if it is 25+, then the usual JVM folders. Prints one clear line and
# returns 1 when none is found.
llm4j_java_major() {
  local v=""
  # The JDK's release file names its version without starting a JVM (~0.2 s each on a small machine).
  if [ -f "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release" | head -n1)
    case "$v" in 1.*) v="${v#1.}" ;; esac
  fi
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  fi
  v="${v%%.*}"
  echo "${v%%[!0-9]*}"   # "26-ea" -> 26
}
llm4j_find_jdk() {
  local want=25 cand major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(llm4j_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$want" ] 2>/dev/null; then return 0; fi
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* \
              "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$cand/bin/javac" ] || continue
    major=$(llm4j_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$want" ] 2>/dev/null; then
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  echo "llm4j: no JDK $want or newer found (looked at JAVA_HOME and /usr/lib/jvm); install one, e.g. Temurin 25" >&2
  return 1
}
