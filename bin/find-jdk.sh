# Sourced by bin/llm4j and .ci/run: sets JAVA_HOME to a JDK of version 25 or newer.
# Order: $JAVA_HOME if it is 25+, then the usual JVM folders. Prints one clear line and
# returns 1 when none is found.
llm4j_java_major() {
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  echo "${v%%.*}"
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
