// A small Jinja2 interpreter for model chat templates, rendering as Python's jinja2 does under Hugging
// Face's settings: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, loopcontrols).
package org.llm4j.chat;

import java.math.BigDecimal;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Values are Python's, held as Java objects: None = null, bool = Boolean, int = Long, float =
 * Double, str = String, list/tuple = List, dict = Map, plus {@link Undefined}, namespaces, loop
 * objects, macros and functions. Printing, arithmetic, comparison, truth, slicing, string methods
 * (strip, split, startswith, ...), the filters and tests follow Python and jinja2 (3.1), so
 * {@code {{ true }}} prints True and {@code tojson} is Hugging Face's json.dumps (", " and ": ").
 *
 * <p>What chat templates use is covered: whitespace control (trim_blocks, lstrip_blocks, "-", "+"),
 * if/elif/else, for with else, filter clause, tuple targets and the loop object, break/continue,
 * set (also namespace attributes and block set), macros, comments, raw, Hugging Face's generation
 * block, the globals raise_exception, strftime_now, namespace, range and dict. Not covered:
 * template inheritance and includes, call blocks, recursive loops, autoescaping.
 *
 * <p>Templates come from model files, so nothing here reaches Java reflection (the template sees
 * only the values above), and output size, loop iterations and nesting are bounded: a hostile
 * template fails with a {@link TemplateException} instead of hanging or exhausting memory.
 */
public final class Jinja {
    /** A template that cannot be parsed or rendered; raise_exception gives {@link Raised}. */
    public static class TemplateException extends RuntimeException {
        public TemplateException(String message) { super(message); }
    }

    /** The template called raise_exception(message) (Hugging Face's way to refuse a conversation). */
    public static final class Raised extends TemplateException {
        public Raised(String message) { super(message); }
    }

    /** Python's Undefined: prints as "", is false, iterates as empty; most other uses are errors. */
    public record Undefined(String name) {
        @Override public String toString() { return ""; }
    }

    /** Python's tuple: a list that prints with parentheses. */
    static final class Tuple extends java.util.AbstractList<Object> {
        private final List<Object> items;

        Tuple(List<Object> items) { this.items = items; }

        @Override public Object get(int i) { return items.get(i); }

        @Override public int size() { return items.size(); }
    }

    /** A callable global or bound method: positional and keyword arguments. */
    @FunctionalInterface
    public interface Function {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /** jinja2's namespace(): the one object whose attributes a template may set. */
    static final class Namespace {
        final Map<String, Object> attrs = new LinkedHashMap<>();
    }

    private static final int MAX_OUTPUT = 4 << 20;       // characters of one rendering (and of any one string)
    private static final int MAX_ITERATIONS = 1_000_000; // loop bodies per rendering (jinja2's sandbox caps range() at 100000)
    private static final int MAX_DEPTH = 200;            // nesting of statements, expressions and macro calls
    private static final int MAX_SOURCE = 1 << 20;

    private final List<Node> body;
    private final Map<String, Object> globals = new HashMap<>();

    /** Parses source; throws TemplateException with the line of the first error. */
    public Jinja(String source) {
        if (source.length() > MAX_SOURCE) throw new TemplateException("the template is " + source.length() + " characters; at most " + MAX_SOURCE + " are accepted");
        this.body = new Parser(new Lexer(source).tokens()).template();
        globals.put("raise_exception", (Function) (a, k) -> { throw new Raised(a.isEmpty() ? "" : str(a.get(0))); });
        globals.put("range", (Function) (a, k) -> range(a));
        globals.put("namespace", (Function) (a, k) -> {
            Namespace ns = new Namespace();
            for (Object o : a) if (o instanceof Map<?, ?> m) for (var e : m.entrySet()) ns.attrs.put(str(e.getKey()), e.getValue());
            ns.attrs.putAll(k);
            return ns;
        });
        globals.put("dict", (Function) (a, k) -> {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (Object o : a) if (o instanceof Map<?, ?> src) m.putAll(src);
            m.putAll(k);
            return m;
        });
        globals.put("strftime_now", (Function) (a, k) -> strftime(a.isEmpty() ? "" : str(a.get(0)), ZonedDateTime.now()));
    }

    /** Adds or replaces a global (a value or a {@link Function}). */
    public Jinja global(String name, Object value) {
        globals.put(name, value);
        return this;
    }

    /** Renders with the given variables (Java values are converted: Integer → int, records are not accepted). */
    public String render(Map<String, ?> variables) {
        Frame f = new Frame(null);
        f.vars.putAll(globals);
        for (var e : variables.entrySet()) f.vars.put(e.getKey(), convert(e.getValue()));
        Renderer r = new Renderer();
        try {
            r.block(body, f, 0);
        } catch (LoopSignal s) {
            throw new TemplateException("break or continue outside a loop");
        } catch (StackOverflowError e) {
            throw new TemplateException("the template nests too deeply");
        }
        return r.out.toString();
    }

    /** Java values into template values: Integer/Short/Byte → Long, Float → Double, arrays → lists, maps and lists deeply. */
    static Object convert(Object v) {
        return switch (v) {
            case null -> null;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float x -> (double) x;
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (var e : m.entrySet()) out.put(convert(e.getKey()), convert(e.getValue()));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                for (Object o : c) out.add(convert(o));
                yield out;
            }
            case Object[] a -> convert(Arrays.asList(a));
            default -> v;
        };
    }

    // ---- lexer: template text → text, output and statement tokens, whitespace control applied ----

    private enum Kind { TEXT, OUTPUT, STATEMENT }

    private record Tok(Kind kind, String text, int line) {}

    private static final class Lexer {
        private final String s;
        private final List<Tok> out = new ArrayList<>();

        Lexer(String s) {
            String t = s.replace("\r\n", "\n");  // jinja2 normalizes newlines to "\n"
            this.s = t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;  // and drops one trailing newline (keep_trailing_newline=False)
        }

        List<Tok> tokens() {
            int pos = 0, n = s.length();
            while (pos < n) {
                int i = nextTag(pos);
                if (i < 0) {
                    out.add(new Tok(Kind.TEXT, s.substring(pos), line(pos)));
                    break;
                }
                char kind = s.charAt(i + 1);
                char left = i + 2 < n ? s.charAt(i + 2) : 0;
                String text = s.substring(pos, i);
                if (left == '-') text = rstripPy(text);
                else if (kind != '{' && left != '+') text = lstripBlock(text, pos);
                if (!text.isEmpty()) out.add(new Tok(Kind.TEXT, text, line(pos)));
                int contentStart = i + 2 + (left == '-' || left == '+' ? 1 : 0);
                if (kind == '%' && isRaw(contentStart)) {
                    pos = raw(i, contentStart);
                    continue;
                }
                String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
                int end = kind == '#' ? s.indexOf(close, contentStart) : closeOf(contentStart, close);
                if (end < 0) throw new TemplateException("line " + line(i) + ": unclosed '" + s.substring(i, i + 2) + "'");
                char right = end > contentStart ? s.charAt(end - 1) : 0;
                int contentEnd = right == '-' || right == '+' ? end - 1 : end;
                pos = end + 2;
                if (right == '-') {
                    while (pos < n && isSpacePy(s.charAt(pos))) pos++;
                } else if (kind != '{' && right != '+' && pos < n && s.charAt(pos) == '\n') {
                    pos++;  // trim_blocks: the first newline after a block or comment tag
                }
                if (kind == '#') continue;
                out.add(new Tok(kind == '{' ? Kind.OUTPUT : Kind.STATEMENT, s.substring(contentStart, Math.max(contentStart, contentEnd)), line(i)));
            }
            return out;
        }

        private int nextTag(int from) {
            for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') return i;
            }
            return -1;
        }

        // lstrip_blocks: spaces and tabs between the start of a line and a block tag go.
        private String lstripBlock(String text, int textStart) {
            int nl = text.lastIndexOf('\n');
            boolean lineStart = nl >= 0 || textStart == 0 || s.charAt(textStart - 1) == '\n';
            if (!lineStart) return text;
            for (int k = nl + 1; k < text.length(); k++) if (!isSpacePy(text.charAt(k))) return text;
            return text.substring(0, nl + 1);
        }

        // The end of an expression or statement tag: the first close outside a string literal.
        private int closeOf(int from, String close) {
            char quote = 0;
            for (int k = from; k < s.length() - 1; k++) {
                char c = s.charAt(k);
                if (quote != 0) {
                    if (c == '\\') k++;
                    else if (c == quote) quote = 0;
                } else if (c == '\'' || c == '"') quote = c;
                else if (c == close.charAt(0) && s.charAt(k + 1) == close.charAt(1)) return k;
            }
            return -1;
        }

        private boolean isRaw(int from) {
            int k = from;
            while (k < s.length() && isSpacePy(s.charAt(k))) k++;
            if (!s.startsWith("raw", k)) return false;
            k += 3;
            while (k < s.length() && isSpacePy(s.charAt(k))) k++;
            return s.startsWith("%}", k) || s.startsWith("-%}", k);
        }

        // {% raw %}...{% endraw %}: the text between, verbatim.
        private int raw(int tagStart, int from) {
            int open = s.indexOf("%}", from);
            int body = open + 2;
            if (s.charAt(open - 1) == '-') while (body < s.length() && isSpacePy(s.charAt(body))) body++;
            else if (body < s.length() && s.charAt(body) == '\n') body++;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}").matcher(s);
            if (!m.find(body)) throw new TemplateException("line " + line(tagStart) + ": 'raw' without 'endraw'");
            String text = s.substring(body, m.start());
            if (m.group(1).equals("-")) text = rstripPy(text);
            if (!text.isEmpty()) out.add(new Tok(Kind.TEXT, text, line(body)));
            int pos = m.end();
            if (m.group(2).equals("-")) while (pos < s.length() && isSpacePy(s.charAt(pos))) pos++;
            else if (pos < s.length() && s.charAt(pos) == '\n') pos++;
            return pos;
        }

        private int line(int pos) {
            int l = 1;
            for (int k = 0; k < pos && k < s.length(); k++) if (s.charAt(k) == '\n') l++;
            return l;
        }
    }

    // ---- syntax tree ----

    private sealed interface Node {}
    private record Text(String text) implements Node {}
    private record Output(Expr e, int line) implements Node {}
    private record If(List<Expr> conds, List<List<Node>> bodies, List<Node> otherwise) implements Node {}
    private record For(List<String> targets, Expr iter, Expr filter, List<Node> body, List<Node> otherwise, int line) implements Node {}
    private record Assign(List<String> targets, String attr, Expr value, List<Node> block, int line) implements Node {}
    private record MacroDef(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {}
    private record LoopControl(boolean isBreak) implements Node {}
    private record Block(List<Node> body) implements Node {}

    private sealed interface Expr {}
    private record Lit(Object value) implements Expr {}
    private record Name(String name) implements Expr {}
    private record Attr(Expr obj, String name) implements Expr {}
    private record Item(Expr obj, Expr key) implements Expr {}
    private record SliceE(Expr obj, Expr start, Expr stop, Expr step) implements Expr {}
    private record Call(Expr fn, Args args) implements Expr {}
    private record FilterE(Expr value, String name, Args args) implements Expr {}
    private record TestE(Expr value, String name, Args args, boolean negated) implements Expr {}
    private record Unary(String op, Expr e) implements Expr {}
    private record Binary(String op, Expr l, Expr r) implements Expr {}
    private record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr {}
    private record Cond(Expr then, Expr cond, Expr otherwise) implements Expr {}
    private record ListE(List<Expr> items, boolean tuple) implements Expr {}
    private record DictE(List<Expr> keys, List<Expr> values) implements Expr {}
    private record Args(List<Expr> positional, List<String> names, List<Expr> named) {
        static final Args NONE = new Args(List.of(), List.of(), List.of());
    }

    // ---- expression tokens ----

    private enum T { NAME, STRING, INT, FLOAT, OP, END }

    private record ETok(T type, String text, Object value) {}

    private static List<ETok> exprTokens(String src, int line) {
        List<ETok> out = new ArrayList<>();
        int i = 0, n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (isSpacePy(c)) { i++; continue; }
            if (Character.isLetter(c) || c == '_') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                out.add(new ETok(T.NAME, src.substring(i, j), null));
                i = j;
            } else if (Character.isDigit(c)) {
                int j = i;
                while (j < n && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                boolean isFloat = false;
                if (j + 1 < n && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
                    isFloat = true;
                    j++;
                    while (j < n && Character.isDigit(src.charAt(j))) j++;
                }
                if (j < n && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
                    int k = j + 1;
                    if (k < n && (src.charAt(k) == '+' || src.charAt(k) == '-')) k++;
                    if (k < n && Character.isDigit(src.charAt(k))) {
                        isFloat = true;
                        j = k;
                        while (j < n && Character.isDigit(src.charAt(j))) j++;
                    }
                }
                String num = src.substring(i, j).replace("_", "");
                try {
                    out.add(isFloat ? new ETok(T.FLOAT, num, Double.parseDouble(num)) : new ETok(T.INT, num, Long.parseLong(num)));
                } catch (NumberFormatException e) {
                    throw new TemplateException("line " + line + ": number " + num + " is out of range");
                }
                i = j;
            } else if (c == '\'' || c == '"') {
                StringBuilder sb = new StringBuilder();
                int j = i + 1;
                for (; j < n && src.charAt(j) != c; j++) {
                    char d = src.charAt(j);
                    if (d != '\\' || j + 1 >= n) { sb.append(d); continue; }
                    char e = src.charAt(++j);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'v' -> sb.append('\u000b');
                        case 'a' -> sb.append('\u0007');
                        case '0' -> sb.append('\0');
                        case '\\', '\'', '"' -> sb.append(e);
                        case '\n' -> { }
                        case 'x', 'u', 'U' -> {
                            int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                            if (j + len >= n) throw new TemplateException("line " + line + ": truncated \\" + e + " escape");
                            try {
                                sb.appendCodePoint(Integer.parseInt(src.substring(j + 1, j + 1 + len), 16));
                            } catch (IllegalArgumentException ex) {
                                throw new TemplateException("line " + line + ": bad \\" + e + " escape");
                            }
                            j += len;
                        }
                        default -> sb.append('\\').append(e);  // Python keeps unknown escapes
                    }
                }
                if (j >= n) throw new TemplateException("line " + line + ": unterminated string literal");
                out.add(new ETok(T.STRING, src.substring(i, j + 1), sb.toString()));
                i = j + 1;
            } else {
                String two = i + 1 < n ? src.substring(i, i + 2) : "";
                if (List.of("**", "//", "==", "!=", "<=", ">=").contains(two)) {
                    out.add(new ETok(T.OP, two, null));
                    i += 2;
                } else if ("+-*/%~<>()[]{}.,:|=".indexOf(c) >= 0) {
                    out.add(new ETok(T.OP, String.valueOf(c), null));
                    i++;
                } else {
                    throw new TemplateException("line " + line + ": unexpected character '" + c + "'");
                }
            }
        }
        out.add(new ETok(T.END, "end of expression", null));
        return out;
    }

    // ---- parser ----

    private static final class Parser {
        private final List<Tok> toks;
        private int at;
        // expression state
        private List<ETok> e;
        private int ep, line, depth;

        Parser(List<Tok> toks) {
            this.toks = toks;
        }

        List<Node> template() {
            List<Node> nodes = statements(Set.of());
            if (at < toks.size()) throw new TemplateException("line " + toks.get(at).line() + ": unexpected '" + keyword(toks.get(at)) + "'");
            return nodes;
        }

        private static String keyword(Tok t) {
            String s = t.text().strip();
            int sp = 0;
            while (sp < s.length() && (Character.isLetterOrDigit(s.charAt(sp)) || s.charAt(sp) == '_')) sp++;
            return s.substring(0, sp);
        }

        // Statements until one of the end keywords (left unconsumed) or the end of the template.
        private List<Node> statements(Set<String> ends) {
            if (++depth > MAX_DEPTH) throw new TemplateException("the template nests too deeply");
            List<Node> out = new ArrayList<>();
            while (at < toks.size()) {
                Tok t = toks.get(at);
                switch (t.kind()) {
                    case TEXT -> { out.add(new Text(t.text())); at++; }
                    case OUTPUT -> {
                        begin(t);
                        Expr x = tuple();
                        finish();
                        out.add(new Output(x, t.line()));
                        at++;
                    }
                    case STATEMENT -> {
                        String k = keyword(t);
                        if (ends.contains(k)) { depth--; return out; }
                        at++;
                        out.add(statement(k, t));
                    }
                }
            }
            if (!ends.isEmpty()) throw new TemplateException("unexpected end of template: expected one of " + new java.util.TreeSet<>(ends));
            depth--;
            return out;
        }

        private Node statement(String k, Tok t) {
            begin(t);
            ep++;  // the keyword
            switch (k) {
                case "if": {
                    List<Expr> conds = new ArrayList<>();
                    List<List<Node>> bodies = new ArrayList<>();
                    conds.add(expression());
                    finish();
                    List<Node> otherwise = List.of();
                    while (true) {
                        bodies.add(statements(Set.of("elif", "else", "endif")));
                        Tok end = toks.get(at++);
                        String ek = keyword(end);
                        begin(end);
                        ep++;
                        if (ek.equals("elif")) { conds.add(expression()); finish(); continue; }
                        finish();
                        if (ek.equals("else")) {
                            otherwise = statements(Set.of("endif"));
                            begin(toks.get(at++));
                            ep++;
                            finish();
                        }
                        break;
                    }
                    return new If(conds, bodies, otherwise);
                }
                case "for": {
                    List<String> targets = new ArrayList<>();
                    do targets.add(name()); while (accept(","));
                    if (!acceptName("in")) throw error("expected 'in'");
                    Expr iter = expression(false);
                    Expr filter = acceptName("if") ? expression(false) : null;
                    if (acceptName("recursive")) throw error("recursive loops are not supported");
                    finish();
                    List<Node> body = statements(Set.of("else", "endfor"));
                    List<Node> otherwise = List.of();
                    Tok end = toks.get(at++);
                    if (keyword(end).equals("else")) {
                        otherwise = statements(Set.of("endfor"));
                        at++;
                    }
                    return new For(targets, iter, filter, body, otherwise, t.line());
                }
                case "set": {
                    List<String> targets = new ArrayList<>();
                    String attr = null;
                    targets.add(name());
                    if (accept(".")) attr = name();
                    else while (accept(",")) targets.add(name());
                    if (accept("=")) {
                        Expr v = tuple();
                        finish();
                        return new Assign(targets, attr, v, null, t.line());
                    }
                    if (attr != null || targets.size() > 1) throw error("expected '='");
                    finish();
                    List<Node> block = statements(Set.of("endset"));
                    at++;
                    return new Assign(targets, null, null, block, t.line());
                }
                case "macro": {
                    String name = name();
                    List<String> params = new ArrayList<>();
                    List<Expr> defaults = new ArrayList<>();
                    expect("(");
                    if (!accept(")")) {
                        do {
                            params.add(name());
                            defaults.add(accept("=") ? expression() : null);
                        } while (accept(","));
                        expect(")");
                    }
                    finish();
                    List<Node> body = statements(Set.of("endmacro"));
                    at++;
                    return new MacroDef(name, params, defaults, body);
                }
                case "break", "continue": {
                    finish();
                    return new LoopControl(k.equals("break"));
                }
                case "generation": {  // Hugging Face's AssistantTracker: marks assistant text; renders its body
                    finish();
                    List<Node> body = statements(Set.of("endgeneration"));
                    at++;
                    return new Block(body);
                }
                case "filter": {
                    String fname = name();
                    Args args = accept("(") ? arguments() : Args.NONE;
                    finish();
                    List<Node> body = statements(Set.of("endfilter"));
                    at++;
                    return new Assign(List.of("\0filter:" + fname), null, new FilterE(new Name("\0filterbody"), fname, args), body, t.line());
                }
                default:
                    throw error("'" + k + "' is not supported" + (Set.of("extends", "include", "import", "from", "block", "call").contains(k) ? " in chat templates" : ""));
            }
        }

        // -- expressions --

        private void begin(Tok t) {
            e = exprTokens(t.text(), t.line());
            ep = 0;
            line = t.line();
        }

        private void finish() {
            if (peek().type() != T.END) throw error("unexpected '" + peek().text() + "'");
        }

        private TemplateException error(String msg) {
            return new TemplateException("line " + line + ": " + msg);
        }

        private ETok peek() { return e.get(ep); }

        private boolean isOp(String op) { return peek().type() == T.OP && peek().text().equals(op); }

        private boolean isName(String n) { return peek().type() == T.NAME && peek().text().equals(n); }

        private boolean accept(String op) {
            if (!isOp(op)) return false;
            ep++;
            return true;
        }

        private boolean acceptName(String n) {
            if (!isName(n)) return false;
            ep++;
            return true;
        }

        private void expect(String op) {
            if (!accept(op)) throw error("expected '" + op + "' but found '" + peek().text() + "'");
        }

        private String name() {
            if (peek().type() != T.NAME) throw error("expected a name but found '" + peek().text() + "'");
            return e.get(ep++).text();
        }

        private Expr expression() {
            return expression(true);
        }

        // jinja2's parse_tuple where a statement allows one without parentheses: "a, b".
        private Expr tuple() {
            Expr x = expression();
            if (!isOp(",")) return x;
            List<Expr> items = new ArrayList<>(List.of(x));
            while (accept(",") && peek().type() != T.END) items.add(expression());
            return new ListE(items, true);
        }

        // jinja2's parse_expression: a conditional expression (with_condexpr=false inside a for header).
        private Expr expression(boolean withCond) {
            if (++depth > MAX_DEPTH) throw error("the expression nests too deeply");
            Expr x = or();
            if (withCond) {
                while (acceptName("if")) {
                    Expr cond = or();
                    Expr otherwise = acceptName("else") ? expression() : null;
                    x = new Cond(x, cond, otherwise);
                }
            }
            depth--;
            return x;
        }

        private Expr or() {
            Expr x = and();
            while (acceptName("or")) x = new Binary("or", x, and());
            return x;
        }

        private Expr and() {
            Expr x = not();
            while (acceptName("and")) x = new Binary("and", x, not());
            return x;
        }

        private Expr not() {
            if (acceptName("not")) return new Unary("not", not());
            return compare();
        }

        private Expr compare() {
            Expr first = math1();
            List<String> ops = new ArrayList<>();
            List<Expr> rest = new ArrayList<>();
            while (true) {
                ETok t = peek();
                if (t.type() == T.OP && List.of("==", "!=", "<", "<=", ">", ">=").contains(t.text())) {
                    ep++;
                    ops.add(t.text());
                } else if (isName("in")) {
                    ep++;
                    ops.add("in");
                } else if (isName("not") && e.get(ep + 1).type() == T.NAME && e.get(ep + 1).text().equals("in")) {
                    ep += 2;
                    ops.add("not in");
                } else break;
                rest.add(math1());
            }
            return ops.isEmpty() ? first : new Compare(first, ops, rest);
        }

        private Expr math1() {
            Expr x = concat();
            while (isOp("+") || isOp("-")) x = new Binary(e.get(ep++).text(), x, concat());
            return x;
        }

        private Expr concat() {
            Expr x = math2();
            while (accept("~")) x = new Binary("~", x, math2());
            return x;
        }

        private Expr math2() {
            Expr x = pow();
            while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) x = new Binary(e.get(ep++).text(), x, pow());
            return x;
        }

        private Expr pow() {
            Expr x = unary(true);
            while (accept("**")) x = new Binary("**", x, unary(true));
            return x;
        }

        private Expr unary(boolean withFilter) {
            if (++depth > MAX_DEPTH) throw error("the expression nests too deeply");
            Expr x;
            if (accept("-")) x = new Unary("-", unary(false));
            else if (accept("+")) x = new Unary("+", unary(false));
            else x = primary();
            x = postfix(x);
            if (withFilter) x = filters(x);
            depth--;
            return x;
        }

        private Expr primary() {
            ETok t = peek();
            switch (t.type()) {
                case NAME -> {
                    ep++;
                    return switch (t.text()) {
                        case "true", "True" -> new Lit(Boolean.TRUE);
                        case "false", "False" -> new Lit(Boolean.FALSE);
                        case "none", "None" -> new Lit(null);
                        default -> new Name(t.text());
                    };
                }
                case STRING -> {
                    StringBuilder sb = new StringBuilder();
                    while (peek().type() == T.STRING) sb.append((String) e.get(ep++).value());  // adjacent literals join
                    return new Lit(sb.toString());
                }
                case INT, FLOAT -> {
                    ep++;
                    return new Lit(t.value());
                }
                case OP -> {
                    if (accept("(")) {
                        if (accept(")")) return new ListE(List.of(), true);
                        Expr x = expression();
                        if (!isOp(",")) {
                            expect(")");
                            return x;
                        }
                        List<Expr> items = new ArrayList<>(List.of(x));
                        while (accept(",") && !isOp(")")) items.add(expression());
                        expect(")");
                        return new ListE(items, true);
                    }
                    if (accept("[")) {
                        List<Expr> items = new ArrayList<>();
                        while (!isOp("]")) {
                            items.add(expression());
                            if (!accept(",")) break;
                        }
                        expect("]");
                        return new ListE(items, false);
                    }
                    if (accept("{")) {
                        List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                        while (!isOp("}")) {
                            keys.add(expression());
                            expect(":");
                            values.add(expression());
                            if (!accept(",")) break;
                        }
                        expect("}");
                        return new DictE(keys, values);
                    }
                }
                default -> { }
            }
            throw error("unexpected '" + t.text() + "'");
        }

        private Expr postfix(Expr x) {
            while (true) {
                if (accept(".")) {
                    ETok t = e.get(ep++);
                    if (t.type() == T.NAME) x = new Attr(x, t.text());
                    else if (t.type() == T.INT) x = new Item(x, new Lit(t.value()));
                    else throw error("expected an attribute name after '.'");
                } else if (accept("[")) {
                    x = subscript(x);
                } else if (accept("(")) {
                    x = new Call(x, arguments());
                } else return x;
            }
        }

        private Expr subscript(Expr x) {
            Expr start = null, stop = null, step = null;
            boolean slice = false;
            if (!isOp(":")) start = expression();
            if (accept(":")) {
                slice = true;
                if (!isOp(":") && !isOp("]")) stop = expression();
                if (accept(":") && !isOp("]")) step = expression();
            }
            expect("]");
            return slice ? new SliceE(x, start, stop, step) : new Item(x, start);
        }

        // After "(": positional and name=value arguments up to ")".
        private Args arguments() {
            List<Expr> pos = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<Expr> named = new ArrayList<>();
            while (!isOp(")")) {
                if (peek().type() == T.NAME && e.get(ep + 1).type() == T.OP && e.get(ep + 1).text().equals("=")) {
                    names.add(name());
                    ep++;
                    named.add(expression());
                } else {
                    if (!names.isEmpty()) throw error("a positional argument follows a keyword argument");
                    pos.add(expression());
                }
                if (!accept(",")) break;
            }
            expect(")");
            return new Args(pos, names, named);
        }

        private Expr filters(Expr x) {
            while (true) {
                if (accept("|")) {
                    String f = name();
                    while (accept(".")) f += "." + name();
                    x = new FilterE(x, f, accept("(") ? arguments() : Args.NONE);
                } else if (acceptName("is")) {
                    boolean neg = acceptName("not");
                    String test = name();
                    while (accept(".")) test += "." + name();
                    Args args = Args.NONE;
                    if (accept("(")) args = arguments();
                    else if (peek().type() == T.STRING || peek().type() == T.INT || peek().type() == T.FLOAT
                            || (peek().type() == T.NAME && !Set.of("else", "or", "and", "if", "in", "not", "is").contains(peek().text()))
                            || isOp("[") || isOp("{") || isOp("-")) {
                        args = new Args(List.of(postfix(primaryOrNeg())), List.of(), List.of());
                    }
                    x = new TestE(x, test, args, neg);
                } else if (isOp("(")) {
                    ep++;
                    x = new Call(x, arguments());
                } else return x;
            }
        }

        private Expr primaryOrNeg() {
            if (accept("-")) return new Unary("-", primary());
            return primary();
        }
    }

    // ---- rendering ----

    private static final class Frame {
        final Frame parent;
        final Map<String, Object> vars = new HashMap<>();

        Frame(Frame parent) { this.parent = parent; }

        Object lookup(String name) {
            for (Frame f = this; f != null; f = f.parent) if (f.vars.containsKey(name)) return f.vars.get(name);
            return new Undefined(name);
        }
    }

    private static final class LoopSignal extends RuntimeException {
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    /** jinja2's loop object. */
    static final class Loop {
        final List<Object> items;
        int index0;
        final Object parentLoop;

        Loop(List<Object> items, Object parent) {
            this.items = items;
            this.parentLoop = parent;
        }

        Object attr(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index0 + 1;
                case "index0" -> (long) index0;
                case "revindex" -> (long) (n - index0);
                case "revindex0" -> (long) (n - index0 - 1);
                case "first" -> index0 == 0;
                case "last" -> index0 == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("previtem");
                case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Undefined("nextitem");
                case "cycle" -> (Function) (a, k) -> a.isEmpty() ? new Undefined("cycle") : a.get(index0 % a.size());
                default -> new Undefined(name);
            };
        }
    }

    /** A macro: called with positional and keyword arguments, returns its rendered body. */
    private record Macro(MacroDef def, Frame closure, Renderer renderer) implements Function {
        @Override public Object call(List<Object> args, Map<String, Object> kwargs) {
            Frame f = new Frame(closure);
            List<String> params = def.params();
            if (args.size() > params.size()) throw new TemplateException("macro '" + def.name() + "' takes " + params.size() + " arguments, got " + args.size());
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                Object v;
                if (i < args.size()) v = args.get(i);
                else if (kwargs.containsKey(p)) v = kwargs.get(p);
                else if (def.defaults().get(i) != null) v = renderer.eval(def.defaults().get(i), f, 0);
                else v = new Undefined(p);
                f.vars.put(p, v);
            }
            for (String k : kwargs.keySet()) if (!params.contains(k)) throw new TemplateException("macro '" + def.name() + "' has no argument '" + k + "'");
            Renderer inner = new Renderer(renderer);
            inner.block(def.body(), f, renderer.depth + 1);
            renderer.iterations = inner.iterations;
            return inner.out.toString();
        }
    }

    private static final class Renderer {
        final StringBuilder out = new StringBuilder();
        int iterations;
        final int depth;

        Renderer() { this.depth = 0; }

        Renderer(Renderer parent) {
            this.iterations = parent.iterations;
            this.depth = parent.depth + 1;
            if (depth > MAX_DEPTH) throw new TemplateException("macros call each other too deeply");
        }

        private void emit(String s) {
            if (out.length() + s.length() > MAX_OUTPUT) throw new TemplateException("the rendered text exceeds " + MAX_OUTPUT + " characters");
            out.append(s);
        }

        void block(List<Node> nodes, Frame f, int d) {
            for (Node n : nodes) node(n, f, d);
        }

        private void node(Node n, Frame f, int d) {
            switch (n) {
                case Text t -> emit(t.text());
                case Output o -> emit(str(eval(o.e(), f, 0)));
                case If i -> {
                    for (int k = 0; k < i.conds().size(); k++) {
                        if (truthy(eval(i.conds().get(k), f, 0))) {
                            block(i.bodies().get(k), f, d);
                            return;
                        }
                    }
                    block(i.otherwise(), f, d);
                }
                case For fo -> forLoop(fo, f, d);
                case Assign a -> assign(a, f, d);
                case MacroDef m -> f.vars.put(m.name(), new Macro(m, f, this));
                case LoopControl c -> throw new LoopSignal(c.isBreak());
                case Block b -> block(b.body(), f, d);
            }
        }

        private void forLoop(For fo, Frame f, int d) {
            Object it = eval(fo.iter(), f, 0);
            List<Object> items = new ArrayList<>();
            for (Object x : iterate(it)) {
                if (fo.filter() != null) {
                    Frame tf = new Frame(f);
                    bind(fo.targets(), x, tf);
                    if (!truthy(eval(fo.filter(), tf, 0))) continue;
                }
                items.add(x);
            }
            if (items.isEmpty()) {
                block(fo.otherwise(), f, d);
                return;
            }
            Loop loop = new Loop(items, f.lookup("loop"));
            for (int k = 0; k < items.size(); k++) {
                if (++iterations > MAX_ITERATIONS) throw new TemplateException("line " + fo.line() + ": more than " + MAX_ITERATIONS + " loop iterations");
                loop.index0 = k;
                Frame body = new Frame(f);
                body.vars.put("loop", loop);
                bind(fo.targets(), items.get(k), body);
                try {
                    block(fo.body(), body, d + 1);
                } catch (LoopSignal s) {
                    if (s.isBreak) break;
                }
            }
        }

        private static void bind(List<String> targets, Object value, Frame f) {
            if (targets.size() == 1) {
                f.vars.put(targets.getFirst(), value);
                return;
            }
            List<Object> parts = iterate(value);
            if (parts.size() != targets.size()) throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size() + " names");
            for (int i = 0; i < targets.size(); i++) f.vars.put(targets.get(i), parts.get(i));
        }

        private void assign(Assign a, Frame f, int d) {
            Object v;
            if (a.block() != null) {
                Renderer inner = new Renderer(this);
                inner.block(a.block(), f, d);
                iterations = inner.iterations;
                v = inner.out.toString();
                if (a.targets().getFirst().startsWith("\0filter:")) {  // {% filter name %}...{% endfilter %}
                    Frame tf = new Frame(f);
                    tf.vars.put("\0filterbody", v);
                    emit(str(eval(a.value(), tf, 0)));
                    return;
                }
            } else v = eval(a.value(), f, 0);
            if (a.attr() != null) {
                Object target = f.lookup(a.targets().getFirst());
                if (!(target instanceof Namespace ns)) throw new TemplateException("line " + a.line() + ": can only set attributes of a namespace(), not of " + typeName(target));
                ns.attrs.put(a.attr(), v);
            } else bind(a.targets(), v, f);
        }

        Object eval(Expr x, Frame f, int d) {
            if (d > MAX_DEPTH) throw new TemplateException("the expression nests too deeply");
            return switch (x) {
                case Lit l -> l.value();
                case Name n -> f.lookup(n.name());
                case Attr a -> getAttr(eval(a.obj(), f, d + 1), a.name());
                case Item i -> getItem(eval(i.obj(), f, d + 1), eval(i.key(), f, d + 1));
                case SliceE s -> slice(eval(s.obj(), f, d + 1), s.start() == null ? null : eval(s.start(), f, d + 1),
                        s.stop() == null ? null : eval(s.stop(), f, d + 1), s.step() == null ? null : eval(s.step(), f, d + 1));
                case Call c -> {
                    Object fn = eval(c.fn(), f, d + 1);
                    if (!(fn instanceof Function func)) throw new TemplateException(describe(c.fn()) + " is not callable (it is " + typeName(fn) + ")");
                    yield func.call(args(c.args(), f, d), kwargs(c.args(), f, d));
                }
                case FilterE fe -> Filters.apply(fe.name(), eval(fe.value(), f, d + 1), args(fe.args(), f, d), kwargs(fe.args(), f, d), this, f);
                case TestE t -> Tests.apply(t.name(), eval(t.value(), f, d + 1), args(t.args(), f, d)) != t.negated();
                case Unary u -> {
                    Object v = eval(u.e(), f, d + 1);
                    yield switch (u.op()) {
                        case "not" -> !truthy(v);
                        case "-" -> Ops.arith("-", 0L, v);
                        default -> Ops.arith("+", 0L, v);
                    };
                }
                case Binary b -> switch (b.op()) {
                    case "and" -> {
                        Object l = eval(b.l(), f, d + 1);
                        yield truthy(l) ? eval(b.r(), f, d + 1) : l;
                    }
                    case "or" -> {
                        Object l = eval(b.l(), f, d + 1);
                        yield truthy(l) ? l : eval(b.r(), f, d + 1);
                    }
                    case "~" -> checkSize(str(eval(b.l(), f, d + 1)) + str(eval(b.r(), f, d + 1)));
                    default -> Ops.arith(b.op(), eval(b.l(), f, d + 1), eval(b.r(), f, d + 1));
                };
                case Compare c -> {
                    Object left = eval(c.first(), f, d + 1);
                    for (int k = 0; k < c.ops().size(); k++) {
                        Object right = eval(c.rest().get(k), f, d + 1);
                        if (!Ops.compare(c.ops().get(k), left, right)) yield false;
                        left = right;
                    }
                    yield true;
                }
                case Cond c -> truthy(eval(c.cond(), f, d + 1)) ? eval(c.then(), f, d + 1)
                        : c.otherwise() == null ? new Undefined("") : eval(c.otherwise(), f, d + 1);
                case ListE l -> {
                    List<Object> out = new ArrayList<>(l.items().size());
                    for (Expr i : l.items()) out.add(eval(i, f, d + 1));
                    yield l.tuple() ? new Tuple(out) : out;
                }
                case DictE m -> {
                    Map<Object, Object> out = new LinkedHashMap<>();
                    for (int k = 0; k < m.keys().size(); k++) out.put(eval(m.keys().get(k), f, d + 1), eval(m.values().get(k), f, d + 1));
                    yield out;
                }
            };
        }

        private List<Object> args(Args a, Frame f, int d) {
            List<Object> out = new ArrayList<>(a.positional().size());
            for (Expr x : a.positional()) out.add(eval(x, f, d + 1));
            return out;
        }

        private Map<String, Object> kwargs(Args a, Frame f, int d) {
            if (a.names().isEmpty()) return Map.of();
            Map<String, Object> out = new LinkedHashMap<>();
            for (int k = 0; k < a.names().size(); k++) out.put(a.names().get(k), eval(a.named().get(k), f, d + 1));
            return out;
        }

        private static String describe(Expr x) {
            return switch (x) {
                case Name n -> "'" + n.name() + "'";
                case Attr a -> "'" + a.name() + "'";
                default -> "the value";
            };
        }
    }

    // ---- values: attributes, items, slices ----

    static Object getAttr(Object obj, String name) {
        return switch (obj) {
            case Undefined u -> throw new TemplateException("'" + (u.name().isEmpty() ? "the value" : u.name()) + "' is undefined (reading ." + name + ")");
            case Namespace ns -> ns.attrs.containsKey(name) ? ns.attrs.get(name) : new Undefined(name);
            case Loop l -> l.attr(name);
            case String s -> Methods.string(s, name);
            case Map<?, ?> m -> {
                Function method = Methods.dict(m, name);
                yield method != null ? method : m.containsKey(name) ? m.get(name) : new Undefined(name);
            }
            case List<?> l -> Methods.list(l, name);
            case null, default -> new Undefined(name);
        };
    }

    static Object getItem(Object obj, Object key) {
        switch (obj) {
            case Undefined u -> throw new TemplateException("'" + (u.name().isEmpty() ? "the value" : u.name()) + "' is undefined (reading [" + repr(key) + "])");
            case Map<?, ?> m -> {
                Object k = key instanceof Integer i ? (Object) (long) i : key;
                if (m.containsKey(k)) return m.get(k);
                return key instanceof String s ? getAttr(obj, s) : new Undefined(str(key));
            }
            case List<?> l when isInt(key) -> {
                long i = toLong(key);
                if (i < 0) i += l.size();
                return i >= 0 && i < l.size() ? l.get((int) i) : new Undefined("[" + key + "]");
            }
            case String s when isInt(key) -> {
                int[] cps = s.codePoints().toArray();
                long i = toLong(key);
                if (i < 0) i += cps.length;
                return i >= 0 && i < cps.length ? new String(cps, (int) i, 1) : new Undefined("[" + key + "]");
            }
            case Namespace ns when key instanceof String s -> { return getAttr(ns, s); }
            case Loop l when key instanceof String s -> { return l.attr(s); }
            default -> { return key instanceof String s && obj != null ? getAttr(obj, s) : new Undefined("[" + repr(key) + "]"); }
        }
    }

    // Python's slice semantics, for lists and strings (by code point).
    static Object slice(Object obj, Object start, Object stop, Object step) {
        long st = step == null ? 1 : toLong(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        List<Object> items;
        boolean isString = obj instanceof String;
        if (obj instanceof String s) items = new ArrayList<>(s.codePoints().mapToObj(c -> (Object) c).toList());
        else if (obj instanceof List<?> l) items = new ArrayList<>(l);
        else throw new TemplateException("cannot slice " + typeName(obj));
        int n = items.size();
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(toLong(start), n, 0, n);
            hi = stop == null ? n : clampIndex(toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) for (long i = lo; i < hi; i += st) out.add(items.get((int) i));
        else for (long i = lo; i > hi; i += st) out.add(items.get((int) i));
        if (!isString) return out;
        StringBuilder sb = new StringBuilder();
        for (Object c : out) sb.appendCodePoint((Integer) c);
        return sb.toString();
    }

    private static long clampIndex(long i, int n, long lo, long hi) {
        if (i < 0) i += n;
        return Math.max(lo, Math.min(hi, i));
    }

    static List<Object> range(List<Object> a) {
        long start = 0, stop, step = 1;
        if (a.size() == 1) stop = toLong(a.get(0));
        else if (a.size() == 2 || a.size() == 3) {
            start = toLong(a.get(0));
            stop = toLong(a.get(1));
            if (a.size() == 3) step = toLong(a.get(2));
        } else throw new TemplateException("range() takes 1 to 3 arguments");
        if (step == 0) throw new TemplateException("range() step must not be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            if (out.size() >= 100_000) throw new TemplateException("range() is too large (jinja2's sandbox allows 100000 items)");
            out.add(i);
        }
        return out;
    }

    /** What a for loop walks: lists, dict keys, string characters; Undefined and None walk nothing... None is an error in Python. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case Undefined u -> List.of();
            case List<?> l -> new ArrayList<>(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> new ArrayList<>(s.codePoints().mapToObj(c -> (Object) new String(Character.toChars(c))).toList());
            case null -> throw new TemplateException("'NoneType' object is not iterable");
            default -> throw new TemplateException("'" + typeName(v) + "' object is not iterable");
        };
    }

    // ---- Python semantics: truth, str, repr, numbers ----

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double x -> x != 0;
            case String s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** Python's str(). */
    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            case Boolean b -> b ? "True" : "False";
            case Double x -> pyFloat(x);
            case Namespace ns -> "<Namespace " + repr(ns.attrs) + ">";
            case List<?> l -> repr(l);
            case Map<?, ?> m -> repr(m);
            default -> String.valueOf(v);
        };
    }

    /** Python's repr(). */
    static String repr(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> pyReprString(s);
            case List<?> l -> {
                boolean tuple = l instanceof Tuple;
                StringBuilder sb = new StringBuilder(tuple ? "(" : "[");
                for (int i = 0; i < l.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
                yield sb.append(tuple && l.size() == 1 ? "," : "").append(tuple ? ')' : ']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (var e : m.entrySet()) {
                    sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                    first = false;
                }
                yield sb.append('}').toString();
            }
            case Undefined u -> "Undefined";
            default -> str(v);
        };
    }

    private static String pyReprString(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        s.codePoints().forEach(c -> {
            if (c == q || c == '\\') sb.append('\\').appendCodePoint(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", c));
            else sb.appendCodePoint(c);
        });
        return sb.append(q).toString();
    }

    /** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String pyFloat(double x) {
        if (Double.isNaN(x)) return "nan";
        if (Double.isInfinite(x)) return x > 0 ? "inf" : "-inf";
        if (x == 0) return 1 / x < 0 ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(x)).stripTrailingZeros();
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= 16) {
            String digits = bd.unscaledValue().abs().toString();
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (x < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        String plain = bd.toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof Boolean;
    }

    static long toLong(Object v) {
        return switch (v) {
            case Long l -> l;
            case Integer i -> i;
            case Boolean b -> b ? 1 : 0;
            case Double d when d == Math.rint(d) -> d.longValue();
            default -> throw new TemplateException("expected an integer, got " + typeName(v) + " " + repr(v));
        };
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case String s -> "str";
            case Long l -> "int";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case Function f -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    static String checkSize(String s) {
        if (s.length() > MAX_OUTPUT) throw new TemplateException("a string exceeds " + MAX_OUTPUT + " characters");
        return s;
    }

    /** Python's str.isspace() for one char (Java's isWhitespace misses NBSP, NEL and the like). */
    static boolean isSpacePy(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u0085' || c == '\u2007' || c == '\u202f';
    }

    static String stripPy(String s, String chars, boolean left, boolean right) {
        int a = 0, b = s.length();
        if (left) while (a < b && (chars == null ? isSpacePy(s.charAt(a)) : chars.indexOf(s.charAt(a)) >= 0)) a++;
        if (right) while (b > a && (chars == null ? isSpacePy(s.charAt(b - 1)) : chars.indexOf(s.charAt(b - 1)) >= 0)) b--;
        return s.substring(a, b);
    }

    private static String rstripPy(String s) {
        return stripPy(s, null, false, true);
    }

    // ---- operators ----

    static final class Ops {
        private Ops() {}

        static Object arith(String op, Object a, Object b) {
            if (a instanceof Undefined || b instanceof Undefined) {
                Undefined u = (Undefined) (a instanceof Undefined ? a : b);
                throw new TemplateException("'" + u.name() + "' is undefined (in '" + op + "')");
            }
            if (op.equals("+")) {
                if (a instanceof String x && b instanceof String y) return checkSize(x + y);
                if (a instanceof List<?> x && b instanceof List<?> y) {
                    List<Object> out = new ArrayList<>(x);
                    out.addAll(y);
                    return out;
                }
            }
            if (op.equals("*")) {
                if (a instanceof String s && isInt(b)) return repeat(s, toLong(b));
                if (b instanceof String s && isInt(a)) return repeat(s, toLong(a));
                if (a instanceof List<?> l && isInt(b)) return repeatList(l, toLong(b));
            }
            if (op.equals("%") && a instanceof String fmt) return format(fmt, b instanceof List<?> l ? new ArrayList<Object>(l) : List.of(b == null ? "None" : b));
            boolean numeric = (a instanceof Long || a instanceof Double || a instanceof Boolean) && (b instanceof Long || b instanceof Double || b instanceof Boolean);
            if (!numeric) throw new TemplateException("unsupported operand types for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
            if (a instanceof Double || b instanceof Double || op.equals("/")) {
                double x = toDouble(a), y = toDouble(b);
                return switch (op) {
                    case "+" -> x + y;
                    case "-" -> x - y;
                    case "*" -> x * y;
                    case "/" -> { if (y == 0) throw new TemplateException("division by zero"); yield x / y; }
                    case "//" -> { if (y == 0) throw new TemplateException("division by zero"); yield Math.floor(x / y); }
                    case "%" -> { if (y == 0) throw new TemplateException("modulo by zero"); double r = x % y; yield r != 0 && (r < 0) != (y < 0) ? r + y : r; }
                    case "**" -> Math.pow(x, y);
                    default -> throw new TemplateException("unknown operator " + op);
                };
            }
            long x = toLong(a), y = toLong(b);
            return switch (op) {
                case "+" -> Math.addExact(x, y);
                case "-" -> Math.subtractExact(x, y);
                case "*" -> Math.multiplyExact(x, y);
                case "//" -> { if (y == 0) throw new TemplateException("division by zero"); yield Math.floorDiv(x, y); }
                case "%" -> { if (y == 0) throw new TemplateException("modulo by zero"); yield Math.floorMod(x, y); }
                case "**" -> y < 0 ? Math.pow(x, y) : (Object) (long) Math.pow(x, y);
                default -> throw new TemplateException("unknown operator " + op);
            };
        }

        private static String repeat(String s, long n) {
            if (n <= 0) return "";
            if (s.length() * n > MAX_OUTPUT) throw new TemplateException("a string exceeds " + MAX_OUTPUT + " characters");
            return s.repeat((int) n);
        }

        private static List<Object> repeatList(List<?> l, long n) {
            if (l.size() * Math.max(0, n) > MAX_OUTPUT) throw new TemplateException("a list exceeds " + MAX_OUTPUT + " items");
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < n; i++) out.addAll(l);
            return out;
        }

        // printf-style formatting: %s %r %d %i %f %x %% (width and precision as Python's).
        static String format(String fmt, List<Object> args) {
            StringBuilder sb = new StringBuilder();
            int ai = 0;
            for (int i = 0; i < fmt.length(); i++) {
                char c = fmt.charAt(i);
                if (c != '%') { sb.append(c); continue; }
                int j = i + 1;
                while (j < fmt.length() && "-+ 0#.0123456789".indexOf(fmt.charAt(j)) >= 0) j++;
                if (j >= fmt.length()) throw new TemplateException("incomplete format");
                char conv = fmt.charAt(j);
                String spec = fmt.substring(i + 1, j);
                if (conv == '%') { sb.append('%'); i = j; continue; }
                if (ai >= args.size()) throw new TemplateException("not enough arguments for format string");
                Object a = args.get(ai++);
                sb.append(switch (conv) {
                    case 's' -> String.format("%" + spec + "s", str(a));
                    case 'r' -> String.format("%" + spec + "s", repr(a));
                    case 'd', 'i' -> String.format("%" + spec + "d", (long) toDouble(a));
                    case 'f', 'F', 'e', 'g' -> String.format(Locale.ROOT, "%" + spec + conv, toDouble(a));
                    case 'x', 'X', 'o' -> String.format("%" + spec + conv, toLong(a));
                    default -> throw new TemplateException("unsupported format character '" + conv + "'");
                });
                i = j;
            }
            if (ai < args.size()) throw new TemplateException("not all arguments converted during string formatting");
            return sb.toString();
        }

        static double toDouble(Object v) {
            return switch (v) {
                case Double d -> d;
                case Long l -> l;
                case Boolean b -> b ? 1 : 0;
                case String s -> {
                    try { yield Double.parseDouble(s.strip()); } catch (NumberFormatException e) { throw new TemplateException("could not convert string to float: " + repr(s)); }
                }
                default -> throw new TemplateException("expected a number, got " + typeName(v));
            };
        }

        static boolean compare(String op, Object a, Object b) {
            return switch (op) {
                case "==" -> equal(a, b);
                case "!=" -> !equal(a, b);
                case "in" -> contains(b, a);
                case "not in" -> !contains(b, a);
                default -> {
                    int c = order(a, b);
                    yield switch (op) {
                        case "<" -> c < 0;
                        case "<=" -> c <= 0;
                        case ">" -> c > 0;
                        default -> c >= 0;
                    };
                }
            };
        }

        static boolean equal(Object a, Object b) {
            if (a == null || b == null) return a == b;
            boolean na = a instanceof Long || a instanceof Double || a instanceof Boolean, nb = b instanceof Long || b instanceof Double || b instanceof Boolean;
            if (na && nb) return toDouble(a) == toDouble(b);
            if (a instanceof Undefined) return b instanceof Undefined;
            if (a instanceof List<?> x && b instanceof List<?> y) {
                if (x.size() != y.size()) return false;
                for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
                return true;
            }
            if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
                if (x.size() != y.size()) return false;
                for (var e : x.entrySet()) if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
                return true;
            }
            return a.equals(b);
        }

        static int order(Object a, Object b) {
            boolean na = a instanceof Long || a instanceof Double || a instanceof Boolean, nb = b instanceof Long || b instanceof Double || b instanceof Boolean;
            if (na && nb) return Double.compare(toDouble(a), toDouble(b));
            if (a instanceof String x && b instanceof String y) return x.compareTo(y);
            if (a instanceof List<?> x && b instanceof List<?> y) {
                for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                    if (!equal(x.get(i), y.get(i))) return order(x.get(i), y.get(i));
                }
                return Integer.compare(x.size(), y.size());
            }
            throw new TemplateException("'<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
        }

        static boolean contains(Object container, Object item) {
            return switch (container) {
                case String s -> {
                    if (!(item instanceof String x)) throw new TemplateException("'in <string>' requires string as left operand, not " + typeName(item));
                    yield s.contains(x);
                }
                case List<?> l -> l.stream().anyMatch(o -> equal(o, item));
                case Map<?, ?> m -> m.containsKey(item instanceof Integer i ? (Object) (long) i : item);
                case Undefined u -> throw new TemplateException("'" + u.name() + "' is undefined (in 'in')");
                case Namespace ns -> ns.attrs.containsKey(item);
                default -> throw new TemplateException("argument of type '" + typeName(container) + "' is not iterable");
            };
        }
    }

    // ---- methods of str, dict and list that templates call (the non-mutating ones: the sandbox is immutable) ----

    static final class Methods {
        private Methods() {}

        static Object string(String s, String name) {
            return switch (name) {
                case "strip" -> (Function) (a, k) -> stripPy(s, chars(a), true, true);
                case "lstrip" -> (Function) (a, k) -> stripPy(s, chars(a), true, false);
                case "rstrip" -> (Function) (a, k) -> stripPy(s, chars(a), false, true);
                case "startswith" -> (Function) (a, k) -> affix(s, a, true);
                case "endswith" -> (Function) (a, k) -> affix(s, a, false);
                case "upper" -> (Function) (a, k) -> s.toUpperCase(Locale.ROOT);
                case "lower" -> (Function) (a, k) -> s.toLowerCase(Locale.ROOT);
                case "title" -> (Function) (a, k) -> pyTitle(s);
                case "capitalize" -> (Function) (a, k) -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                case "replace" -> (Function) (a, k) -> replace(s, str(arg(a, 0, "replace")), str(arg(a, 1, "replace")), a.size() > 2 ? toLong(a.get(2)) : -1);
                case "split" -> (Function) (a, k) -> split(s, a.isEmpty() || a.get(0) == null ? (String) k.get("sep") : str(a.get(0)),
                        a.size() > 1 ? toLong(a.get(1)) : k.containsKey("maxsplit") ? toLong(k.get("maxsplit")) : -1);
                case "splitlines" -> (Function) (a, k) -> new ArrayList<Object>(s.lines().toList());
                case "join" -> (Function) (a, k) -> {
                    StringBuilder sb = new StringBuilder();
                    List<Object> items = iterate(arg(a, 0, "join"));
                    for (int i = 0; i < items.size(); i++) {
                        if (!(items.get(i) instanceof String x)) throw new TemplateException("sequence item " + i + ": expected str instance, " + typeName(items.get(i)) + " found");
                        sb.append(i > 0 ? s : "").append(x);
                    }
                    return checkSize(sb.toString());
                };
                case "find" -> (Function) (a, k) -> (long) s.indexOf(str(arg(a, 0, "find")));
                case "rfind" -> (Function) (a, k) -> (long) s.lastIndexOf(str(arg(a, 0, "rfind")));
                case "count" -> (Function) (a, k) -> {
                    String sub = str(arg(a, 0, "count"));
                    if (sub.isEmpty()) return (long) s.codePointCount(0, s.length()) + 1;
                    long c = 0;
                    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) c++;
                    return c;
                };
                case "isdigit" -> (Function) (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
                case "isalpha" -> (Function) (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
                case "isspace" -> (Function) (a, k) -> !s.isEmpty() && s.chars().allMatch(c -> isSpacePy((char) c));
                case "islower" -> (Function) (a, k) -> !s.equals(s.toUpperCase(Locale.ROOT)) && s.equals(s.toLowerCase(Locale.ROOT));
                case "isupper" -> (Function) (a, k) -> !s.equals(s.toLowerCase(Locale.ROOT)) && s.equals(s.toUpperCase(Locale.ROOT));
                default -> new Undefined(name);
            };
        }

        private static Object arg(List<Object> a, int i, String method) {
            if (i >= a.size()) throw new TemplateException(method + "() is missing an argument");
            return a.get(i);
        }

        private static String chars(List<Object> a) {
            return a.isEmpty() || a.get(0) == null ? null : str(a.get(0));
        }

        private static boolean affix(String s, List<Object> a, boolean start) {
            Object p = arg(a, 0, start ? "startswith" : "endswith");
            List<Object> options = p instanceof List<?> l ? new ArrayList<Object>(l) : List.of(p);
            for (Object o : options) {
                if (!(o instanceof String x)) throw new TemplateException((start ? "startswith" : "endswith") + " first arg must be str or a tuple of str, not " + typeName(o));
                if (start ? s.startsWith(x) : s.endsWith(x)) return true;
            }
            return false;
        }

        static String replace(String s, String old, String rep, long count) {
            if (count < 0) return checkSize(s.replace(old, rep));
            StringBuilder sb = new StringBuilder();
            int from = 0;
            for (long c = 0; c < count; c++) {
                int i = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
                if (i < 0) break;
                sb.append(s, from, i).append(rep);
                if (old.isEmpty()) {
                    if (i < s.length()) sb.append(s.charAt(i));
                    from = i + 1;
                } else from = i + old.length();
            }
            if (from <= s.length()) sb.append(s.substring(from));
            return checkSize(sb.toString());
        }

        static List<Object> split(String s, String sep, long max) {
            List<Object> out = new ArrayList<>();
            if (sep == null) {  // runs of whitespace, no empty pieces
                int i = 0, n = s.length();
                while (true) {
                    while (i < n && isSpacePy(s.charAt(i))) i++;
                    if (i >= n) break;
                    if (max >= 0 && out.size() == max) {
                        out.add(stripPy(s.substring(i), null, false, true));
                        break;
                    }
                    int j = i;
                    while (j < n && !isSpacePy(s.charAt(j))) j++;
                    out.add(s.substring(i, j));
                    i = j;
                }
                return out;
            }
            if (sep.isEmpty()) throw new TemplateException("empty separator");
            int from = 0;
            while (max < 0 || out.size() < max) {
                int i = s.indexOf(sep, from);
                if (i < 0) break;
                out.add(s.substring(from, i));
                from = i + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }

        // Python's str.title: a letter after a non-letter starts a word.
        static String pyTitle(String s) {
            StringBuilder sb = new StringBuilder();
            boolean prevCased = false;
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                sb.appendCodePoint(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
                prevCased = Character.isLetter(c);
                i += Character.charCount(c);
            }
            return sb.toString();
        }

        static Function dict(Map<?, ?> m, String name) {
            return switch (name) {
                case "items" -> (a, k) -> {
                    List<Object> out = new ArrayList<>();
                    for (var e : m.entrySet()) out.add(Arrays.asList(e.getKey(), e.getValue()));
                    return out;
                };
                case "keys" -> (a, k) -> new ArrayList<Object>(m.keySet());
                case "values" -> (a, k) -> new ArrayList<Object>(m.values());
                case "get" -> (a, k) -> {
                    Object key = Methods.arg(a, 0, "get");
                    return m.containsKey(key) ? m.get(key) : a.size() > 1 ? a.get(1) : null;
                };
                default -> null;
            };
        }

        static Object list(List<?> l, String name) {
            return switch (name) {
                case "index" -> (Function) (a, k) -> {
                    Object x = Methods.arg(a, 0, "index");
                    for (int i = 0; i < l.size(); i++) if (Ops.equal(l.get(i), x)) return (long) i;
                    throw new TemplateException(repr(x) + " is not in list");
                };
                case "count" -> (Function) (a, k) -> l.stream().filter(o -> Ops.equal(o, a.isEmpty() ? null : a.get(0))).count();
                case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse" ->
                        (Function) (a, k) -> { throw new TemplateException("the template tried to modify a list (." + name + "), which Hugging Face's immutable sandbox refuses"); };
                default -> new Undefined(name);
            };
        }
    }

    // ---- filters ----

    static final class Filters {
        private Filters() {}

        static Object apply(String name, Object v, List<Object> a, Map<String, Object> k, Renderer r, Frame f) {
            return switch (name) {
                case "trim" -> stripPy(str(v), a.isEmpty() ? null : str(a.get(0)), true, true);
                case "length", "count" -> (long) length(v);
                case "list" -> iterate(v);
                case "string" -> str(v);
                case "upper" -> str(v).toUpperCase(Locale.ROOT);
                case "lower" -> str(v).toLowerCase(Locale.ROOT);
                case "capitalize" -> { String s = str(v); yield s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT); }
                case "title" -> title(str(v));
                case "replace" -> Methods.replace(str(v), str(a.get(0)), str(a.get(1)), a.size() > 2 ? toLong(a.get(2)) : -1);
                case "join" -> {
                    String sep = a.isEmpty() ? str(k.getOrDefault("d", "")) : str(a.get(0));
                    Object attribute = a.size() > 1 ? a.get(1) : k.get("attribute");
                    StringBuilder sb = new StringBuilder();
                    List<Object> items = iterate(v);
                    for (int i = 0; i < items.size(); i++) sb.append(i > 0 ? sep : "").append(str(attribute == null ? items.get(i) : attribute(items.get(i), attribute)));
                    yield checkSize(sb.toString());
                }
                case "default", "d" -> {
                    boolean bool = a.size() > 1 ? truthy(a.get(1)) : truthy(k.getOrDefault("boolean", false));
                    Object dflt = a.isEmpty() ? k.getOrDefault("default_value", "") : a.get(0);
                    yield v instanceof Undefined || (bool && !truthy(v)) ? dflt : v;
                }
                case "first" -> { List<Object> l = iterate(v); yield l.isEmpty() ? new Undefined("first") : l.getFirst(); }
                case "last" -> { List<Object> l = iterate(v); yield l.isEmpty() ? new Undefined("last") : l.getLast(); }
                case "reverse" -> {
                    if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
                    List<Object> l = iterate(v);
                    java.util.Collections.reverse(l);
                    yield l;
                }
                case "unique" -> {
                    List<Object> out = new ArrayList<>();
                    for (Object x : iterate(v)) if (out.stream().noneMatch(o -> Ops.equal(o, x))) out.add(x);
                    yield out;
                }
                case "sort" -> {
                    boolean reverse = a.isEmpty() ? truthy(k.getOrDefault("reverse", false)) : truthy(a.get(0));
                    Object attribute = k.get("attribute");
                    List<Object> l = iterate(v);
                    l.sort((x, y) -> {
                        Object kx = attribute == null ? x : attribute(x, attribute), ky = attribute == null ? y : attribute(y, attribute);
                        if (kx instanceof String sx && ky instanceof String sy && !truthy(k.getOrDefault("case_sensitive", false))) {
                            return sx.toLowerCase(Locale.ROOT).compareTo(sy.toLowerCase(Locale.ROOT));
                        }
                        return Ops.order(kx, ky);
                    });
                    if (reverse) java.util.Collections.reverse(l);
                    yield l;
                }
                case "items" -> {
                    if (v instanceof Undefined) yield List.of();
                    if (!(v instanceof Map<?, ?> m)) throw new TemplateException("items filter expects a mapping, got " + typeName(v));
                    yield Methods.dict(m, "items").call(List.of(), Map.of());
                }
                case "dictsort" -> {
                    if (!(v instanceof Map<?, ?> m)) throw new TemplateException("dictsort expects a mapping, got " + typeName(v));
                    List<Object> items = iterate(Methods.dict(m, "items").call(List.of(), Map.of()));
                    items.sort((x, y) -> Ops.order(((List<?>) x).get(0), ((List<?>) y).get(0)));
                    yield items;
                }
                case "selectattr", "rejectattr" -> {
                    boolean select = name.equals("selectattr");
                    List<Object> out = new ArrayList<>();
                    for (Object x : iterate(v)) {
                        Object val = attribute(x, a.get(0));
                        boolean pass = a.size() < 2 ? truthy(val) : Tests.apply(str(a.get(1)), val, a.subList(2, a.size()));
                        if (pass == select) out.add(x);
                    }
                    yield out;
                }
                case "select", "reject" -> {
                    boolean select = name.equals("select");
                    List<Object> out = new ArrayList<>();
                    for (Object x : iterate(v)) {
                        boolean pass = a.isEmpty() ? truthy(x) : Tests.apply(str(a.get(0)), x, a.subList(1, a.size()));
                        if (pass == select) out.add(x);
                    }
                    yield out;
                }
                case "map" -> {
                    List<Object> out = new ArrayList<>();
                    for (Object x : iterate(v)) {
                        if (k.containsKey("attribute")) {
                            Object val = attribute(x, k.get("attribute"));
                            out.add(val instanceof Undefined && k.containsKey("default") ? k.get("default") : val);
                        } else out.add(apply(str(a.get(0)), x, a.subList(1, a.size()), Map.of(), r, f));
                    }
                    yield out;
                }
                case "tojson" -> Json.dump(v, k.containsKey("indent") ? k.get("indent") : a.isEmpty() ? null : a.get(0),
                        truthy(k.getOrDefault("sort_keys", false)), k.get("separators"), truthy(k.getOrDefault("ensure_ascii", false)));
                case "int" -> {
                    Object dflt = a.isEmpty() ? k.getOrDefault("default", 0L) : a.get(0);
                    try {
                        yield switch (v) {
                            case Long l -> l;
                            case Boolean b -> b ? 1L : 0L;
                            case Double d -> (long) (double) d;
                            case String s -> {
                                String t = s.strip().replace("_", "");
                                try { yield Long.parseLong(t); } catch (NumberFormatException e) { yield (long) Double.parseDouble(t); }
                            }
                            default -> dflt;
                        };
                    } catch (NumberFormatException e) {
                        yield dflt;
                    }
                }
                case "float" -> {
                    try { yield Ops.toDouble(v instanceof String s ? s : v); } catch (TemplateException e) { yield a.isEmpty() ? 0.0 : a.get(0); }
                }
                case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(toLong(v));
                case "round" -> {
                    long precision = a.isEmpty() ? toLong(k.getOrDefault("precision", 0L)) : toLong(a.get(0));
                    String method = a.size() > 1 ? str(a.get(1)) : str(k.getOrDefault("method", "common"));
                    BigDecimal bd = new BigDecimal(Double.toString(Ops.toDouble(v)));
                    java.math.RoundingMode mode = switch (method) {
                        case "ceil" -> java.math.RoundingMode.CEILING;
                        case "floor" -> java.math.RoundingMode.FLOOR;
                        default -> java.math.RoundingMode.HALF_UP;
                    };
                    yield bd.setScale((int) precision, mode).doubleValue();
                }
                case "sum" -> {
                    Object total = a.size() > 1 ? a.get(1) : k.getOrDefault("start", 0L);
                    Object attribute = a.isEmpty() ? k.get("attribute") : a.get(0);
                    for (Object x : iterate(v)) total = Ops.arith("+", total, attribute == null ? x : attribute(x, attribute));
                    yield total;
                }
                case "min", "max" -> {
                    List<Object> l = iterate(v);
                    if (l.isEmpty()) yield new Undefined(name);
                    Object best = l.getFirst();
                    for (Object x : l) if (name.equals("min") ? Ops.order(x, best) < 0 : Ops.order(x, best) > 0) best = x;
                    yield best;
                }
                case "indent" -> {
                    Object w = a.isEmpty() ? k.getOrDefault("width", 4L) : a.get(0);
                    String pad = w instanceof String s ? s : " ".repeat((int) toLong(w));
                    boolean first = a.size() > 1 ? truthy(a.get(1)) : truthy(k.getOrDefault("first", false));
                    boolean blank = a.size() > 2 ? truthy(a.get(2)) : truthy(k.getOrDefault("blank", false));
                    String s = str(v);
                    StringBuilder sb = new StringBuilder();
                    String[] lines = s.split("\n", -1);
                    for (int i = 0; i < lines.length; i++) {
                        if (i > 0) sb.append('\n');
                        boolean indent = (i > 0 || first) && (blank || !lines[i].isBlank());
                        sb.append(indent ? pad : "").append(lines[i]);
                    }
                    yield sb.toString();
                }
                case "wordcount" -> (long) Methods.split(str(v), null, -1).size();
                case "safe", "e", "escape", "forceescape" -> name.equals("safe") ? v : str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
                case "format" -> Ops.format(str(v), a);
                case "attr" -> getAttr(v, str(a.get(0)));
                case "batch", "slice", "groupby", "xmlattr", "urlencode", "urlize", "truncate", "center", "filesizeformat", "pprint", "striptags", "wordwrap" ->
                        throw new TemplateException("the '" + name + "' filter is not supported");
                default -> throw new TemplateException("no filter named '" + name + "'");
            };
        }

        // attribute="a.b" or an index, as jinja2's make_attrgetter.
        static Object attribute(Object x, Object path) {
            if (isInt(path)) return getItem(x, toLong(path));
            Object cur = x;
            for (String part : str(path).split("\\.")) {
                if (cur instanceof Undefined) return cur;
                cur = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? getItem(cur, Long.parseLong(part)) : getItem(cur, part);
            }
            return cur;
        }

        static int length(Object v) {
            return switch (v) {
                case String s -> s.codePointCount(0, s.length());
                case Collection<?> c -> c.size();
                case Map<?, ?> m -> m.size();
                case Undefined u -> 0;
                case Namespace ns -> ns.attrs.size();
                default -> throw new TemplateException("object of type '" + typeName(v) + "' has no len()");
            };
        }

        // jinja2's title filter: words start after whitespace, "-", "(", "{", "[" or "<".
        static String title(String s) {
            StringBuilder sb = new StringBuilder();
            boolean start = true;
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                boolean sep = Character.isWhitespace(c) || "-({[<".indexOf(c) >= 0;
                sb.appendCodePoint(sep ? c : start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = sep;
                i += Character.charCount(c);
            }
            return sb.toString();
        }
    }

    // ---- tests ----

    static final class Tests {
        private Tests() {}

        static boolean apply(String name, Object v, List<Object> a) {
            return switch (name) {
                case "defined" -> !(v instanceof Undefined);
                case "undefined" -> v instanceof Undefined;
                case "none" -> v == null;
                case "boolean" -> v instanceof Boolean;
                case "true" -> Boolean.TRUE.equals(v);
                case "false" -> Boolean.FALSE.equals(v);
                case "integer" -> v instanceof Long;
                case "float" -> v instanceof Double;
                case "number" -> v instanceof Long || v instanceof Double || v instanceof Boolean;
                case "string" -> v instanceof String;
                case "mapping" -> v instanceof Map;
                case "sequence" -> v instanceof List || v instanceof String || v instanceof Map;
                case "iterable" -> v instanceof List || v instanceof String || v instanceof Map;
                case "callable" -> v instanceof Function;
                case "sameas" -> v == arg(a) || (v != null && v.equals(arg(a)) && (v instanceof Boolean));
                case "equalto", "eq", "==" -> Ops.equal(v, arg(a));
                case "ne", "!=" -> !Ops.equal(v, arg(a));
                case "lt", "lessthan", "<" -> Ops.order(v, arg(a)) < 0;
                case "le", "<=" -> Ops.order(v, arg(a)) <= 0;
                case "gt", "greaterthan", ">" -> Ops.order(v, arg(a)) > 0;
                case "ge", ">=" -> Ops.order(v, arg(a)) >= 0;
                case "in" -> Ops.contains(arg(a), v);
                case "even" -> toLong(v) % 2 == 0;
                case "odd" -> toLong(v) % 2 != 0;
                case "divisibleby" -> toLong(v) % toLong(arg(a)) == 0;
                case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
                case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
                default -> throw new TemplateException("no test named '" + name + "'");
            };
        }

        private static Object arg(List<Object> a) {
            if (a.isEmpty()) throw new TemplateException("the test needs an argument");
            return a.getFirst();
        }
    }

    // ---- tojson: Hugging Face's json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False) ----

    static final class Json {
        private Json() {}

        static String dump(Object v, Object indent, boolean sortKeys, Object separators, boolean ensureAscii) {
            String ind = indent == null ? null : indent instanceof String s ? s : " ".repeat((int) Math.max(0, toLong(indent)));
            String item = ind == null ? ", " : ",", key = ": ";
            if (separators instanceof List<?> l && l.size() == 2) {
                item = str(l.get(0));
                key = str(l.get(1));
            }
            StringBuilder sb = new StringBuilder();
            write(sb, v, ind, item, key, sortKeys, ensureAscii, 0);
            return checkSize(sb.toString());
        }

        private static void write(StringBuilder sb, Object v, String ind, String item, String key, boolean sort, boolean ascii, int level) {
            if (level > MAX_DEPTH) throw new TemplateException("tojson: the value nests too deeply");
            if (sb.length() > MAX_OUTPUT) throw new TemplateException("tojson: the text exceeds " + MAX_OUTPUT + " characters");
            switch (v) {
                case null -> sb.append("null");
                case Boolean b -> sb.append(b ? "true" : "false");
                case Long l -> sb.append(l);
                case Double d -> sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : pyFloat(d));
                case String s -> string(sb, s, ascii);
                case List<?> l -> {
                    if (l.isEmpty()) { sb.append("[]"); return; }
                    sb.append('[');
                    for (int i = 0; i < l.size(); i++) {
                        if (i > 0) sb.append(item);
                        newline(sb, ind, level + 1);
                        write(sb, l.get(i), ind, item, key, sort, ascii, level + 1);
                    }
                    newline(sb, ind, level);
                    sb.append(']');
                }
                case Map<?, ?> m -> {
                    if (m.isEmpty()) { sb.append("{}"); return; }
                    List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
                    if (sort) entries.sort((x, y) -> str(x.getKey()).compareTo(str(y.getKey())));
                    sb.append('{');
                    for (int i = 0; i < entries.size(); i++) {
                        if (i > 0) sb.append(item);
                        newline(sb, ind, level + 1);
                        Object k = entries.get(i).getKey();
                        string(sb, k instanceof String s ? s : k == null ? "null" : k instanceof Boolean b ? (b ? "true" : "false") : str(k), ascii);
                        sb.append(key);
                        write(sb, entries.get(i).getValue(), ind, item, key, sort, ascii, level + 1);
                    }
                    newline(sb, ind, level);
                    sb.append('}');
                }
                case Namespace ns -> throw new TemplateException("Object of type Namespace is not JSON serializable");
                case Undefined u -> throw new TemplateException("Object of type Undefined is not JSON serializable");
                default -> throw new TemplateException("Object of type " + typeName(v) + " is not JSON serializable");
            }
        }

        private static void newline(StringBuilder sb, String ind, int level) {
            if (ind == null) return;
            sb.append('\n');
            for (int i = 0; i < level; i++) sb.append(ind);
        }

        static void string(StringBuilder sb, String s, boolean ascii) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || (ascii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }

    // ---- strftime_now: Python's strftime directives over java.time ----

    static String strftime(String fmt, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) { sb.append(c); continue; }
            char d = fmt.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < fmt.length()) {  // glibc's %-d: no padding
                noPad = true;
                d = fmt.charAt(++i);
            }
            String two = noPad ? "%d" : "%02d";
            sb.append(switch (d) {
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> String.format("%02d", t.getYear() % 100);
                case 'm' -> String.format(two, t.getMonthValue());
                case 'd' -> String.format(two, t.getDayOfMonth());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'H' -> String.format(two, t.getHour());
                case 'I' -> String.format(two, (t.getHour() + 11) % 12 + 1);
                case 'M' -> String.format(two, t.getMinute());
                case 'S' -> String.format(two, t.getSecond());
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'j' -> String.format(noPad ? "%d" : "%03d", t.getDayOfYear());
                case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case '%' -> "%";
                default -> "%" + d;
            });
        }
        return sb.toString();
    }

    /** The string literals in a template's source, for finding which special tokens it writes. */
    static Set<String> literalStrings(String source) {
        Set<String> out = new LinkedHashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("'((?:[^'\\\\]|\\\\.)*)'|\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(source);
        while (m.find()) out.add(m.group(1) != null ? m.group(1) : m.group(2));
        return out;
    }
}
