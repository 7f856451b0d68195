// The template engine against Python's jinja2 (Hugging Face's settings), one language feature per probe.
package org.llm4j.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class JinjaTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode resource(String name) throws IOException {
        try (InputStream in = JinjaTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return JSON.readTree(in);
        }
    }

    static Stream<JsonNode> probes() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        resource("jinja-probes.json").get("probes").forEach(out::add);
        return out.stream();
    }

    /** tools/jinja/make_chat_fixtures.py rendered each probe with jinja2; the text must be the same, errors must be errors. */
    @ParameterizedTest
    @MethodSource("probes")
    void rendersAsPythonJinja2(JsonNode probe) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = JSON.convertValue(resource("jinja-probes.json").get("variables"), Map.class);
        String template = probe.get("template").asText();
        if (probe.has("expected")) {
            assertThat(new Jinja(template).render(vars)).as(template).isEqualTo(probe.get("expected").asText());
        } else {
            String error = probe.get("error").asText();
            var thrown = assertThatThrownBy(() -> new Jinja(template).render(vars)).as(template).isInstanceOf(Jinja.TemplateException.class);
            if (error.startsWith("TemplateError: ")) thrown.isInstanceOf(Jinja.Raised.class).hasMessage(error.substring("TemplateError: ".length()));
        }
    }

    @Test
    void strftimeFollowsPython() {
        // Llama 3.1 writes "Today Date: " + strftime_now("%d %b %Y"); Python gives "05 Mar 2024" for this instant
        var t = java.time.ZonedDateTime.of(2024, 3, 5, 14, 7, 9, 0, java.time.ZoneOffset.UTC);
        assertThat(Jinja.strftime("%d %b %Y", t)).isEqualTo("05 Mar 2024");
        assertThat(Jinja.strftime("%A %B %-d, %Y %H:%M:%S %I%p %j %y %%", t)).isEqualTo("Tuesday March 5, 2024 14:07:09 02PM 065 24 %");
        assertThat(new Jinja("{{ strftime_now('%Y') }}").render(Map.of())).isEqualTo(String.valueOf(java.time.Year.now().getValue()));
    }

    @Test
    void generationBlockRendersItsBody() {
        // Hugging Face's AssistantTracker extension: {% generation %} marks assistant text for masks; the text is unchanged
        assertThat(new Jinja("{% generation %}a{{ 1 }}{% endgeneration %}b").render(Map.of())).isEqualTo("a1b");
    }

    @Test
    void refusesWhatItDoesNotSupportWithTheLine() {
        assertThatThrownBy(() -> new Jinja("x\n{% include 'other' %}")).hasMessageContaining("line 2").hasMessageContaining("include");
        assertThatThrownBy(() -> new Jinja("{% if x %}")).hasMessageContaining("endif");
        assertThatThrownBy(() -> new Jinja("{{ x ")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> new Jinja("{{ 'abc }}")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> new Jinja("{{ x | nosuchfilter }}").render(Map.of("x", 1))).hasMessageContaining("nosuchfilter");
    }

    @Test
    void hostileTemplatesFailInsteadOfRunningAway() {
        // output, iterations and string sizes are bounded; reflection is out of reach
        assertThatThrownBy(() -> new Jinja("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}").render(Map.of()))
                .isInstanceOf(Jinja.TemplateException.class);
        assertThatThrownBy(() -> new Jinja("{{ 'x' * 1000000000 }}").render(Map.of())).isInstanceOf(Jinja.TemplateException.class);
        assertThatThrownBy(() -> new Jinja("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}").render(Map.of())).isInstanceOf(Jinja.TemplateException.class);
        assertThatThrownBy(() -> new Jinja("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}")).isInstanceOf(Jinja.TemplateException.class);
        assertThat(new Jinja("{{ x.getClass }}|{{ x.__class__ }}").render(Map.of("x", "s"))).isEqualTo("|");
        assertThatThrownBy(() -> new Jinja("{{ messages.append(1) }}").render(Map.of("messages", List.of()))).hasMessageContaining("sandbox");
    }
}
