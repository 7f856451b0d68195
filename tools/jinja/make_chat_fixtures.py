#!/usr/bin/env python3
"""Renders the chat templates in llm4j-core/src/test/resources/chat-templates/ with Python's jinja2
set up as Hugging Face transformers sets it up for apply_chat_template, and writes the results to
chat-fixtures.json beside them; ChatTemplateTest checks llm4j's renderer against them byte for byte.
It also renders PROBES, small templates that exercise one language feature each (whitespace
control, Python string methods, slicing, tojson, loop variables, namespace, tests, filters), into
jinja-probes.json, for JinjaTest.

HF's environment (transformers.utils.chat_template_utils._compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
a tojson filter that is json.dumps (no HTML escaping, ensure_ascii=False), and the globals
raise_exception (raises TemplateError) and strftime_now. render() gets messages, tools=None,
documents=None, add_generation_prompt and the tokenizer's special tokens (bos_token, eos_token, ...).

Usage: python3 tools/jinja/make_chat_fixtures.py   (needs jinja2 only; Debian: python3-jinja2)
"""
import json
import sys
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

DIR = Path(__file__).resolve().parents[2] / "llm4j-core/src/test/resources/chat-templates"


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def m(role, content):
    return {"role": role, "content": content}


SYSTEM = m("system", "You are a terse assistant.")
HELLO = m("user", "Hello!")
REPLY = m("assistant", "Hi. What do you need?")
ASK = m("user", "  Two lines,\nplease: café, naïve, 日本語 — and a tab\t.  ")
ANSWER = m("assistant", "\nLine one.\nLine two.  ")

# Conversations every template is given; templates that refuse one (Mistral's role checks) record the error.
CONVERSATIONS = {
    "user": [HELLO],
    "system_user": [SYSTEM, HELLO],
    "multi_turn": [SYSTEM, HELLO, REPLY, ASK],
    "multi_turn_no_system": [HELLO, REPLY, ASK],
    "ends_with_assistant": [HELLO, REPLY, ASK, ANSWER],
    "two_users_in_a_row": [HELLO, ASK],
    "assistant_first": [REPLY, HELLO],
    "empty_content": [m("user", "")],
}

# name → (template file, special tokens as the model's tokenizer_config.json / GGUF give them)
TEMPLATES = {
    # meta-llama/Meta-Llama-3-8B-Instruct, tokenizer_config.json "chat_template"
    "llama3-instruct": ("llama3-instruct.jinja", {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    # Qwen/Qwen2-7B-Instruct, tokenizer_config.json "chat_template"
    "qwen2-instruct": ("qwen2-instruct.jinja", {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    # mistralai/Mistral-7B-Instruct-v0.1 (and Mixtral-8x7B-Instruct-v0.1), tokenizer_config.json "chat_template"
    "mistral-instruct-v0.1": ("mistral-instruct-v0.1.jinja", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
    # mistralai/Mistral-7B-Instruct-v0.3, tokenizer_config.json "chat_template"
    "mistral-instruct-v0.3": ("mistral-instruct-v0.3.jinja", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
}


# One feature each; rendered with PROBE_VARS. Lines that raise record the error instead.
PROBE_VARS = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " yo "}],
              "n": 3, "x": 2.5, "flag": True, "nothing": None, "text": "  Hello, World!  ",
              "tool": {"name": "get_weather", "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}}
PROBES = [
    "{{ '  ab  '.strip() }}|{{ 'xxabxx'.strip('x') }}|{{ text.lstrip() }}|{{ text.rstrip() }}|",
    "{{ 'abc'.startswith('a') }}{{ 'abc'.startswith(('x', 'ab')) }}{{ 'abc'.endswith('c') }}",
    "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a</think>b'.split('</think>')[-1] }}",
    "{{ 'x'.upper() }}{{ 'Y'.lower() }}|{{ 'hello world'.title() }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}",
    "{{ '\\nab\\n'.lstrip('\\n') }}|{{ '\\nab\\n'.rstrip('\\n') }}|{{ 'abcb'.replace('b', 'X') }}|{{ 'abcb'.replace('b', 'X', 1) }}",
    "{% set ns = namespace(a=1, b='x') %}{% set ns.a = ns.a + 1 %}{{ ns.a }}{{ ns.b }}",
    "{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
    "{{ {'b': 1, 'a': [1, 2.5, 'x', none, true]} | tojson }}|{{ tool | tojson }}",
    "{{ tool | tojson(indent=4) }}|{{ [] | tojson }}|{{ {} | tojson(indent=2) }}",
    "{{ 'é\"<\\n' | tojson }}|{{ 'a' | tojson(ensure_ascii=true) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}",
    "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }},{% endfor %}",
    "{% for m in messages %}{{ loop.previtem is defined }}{{ loop.nextitem is defined }}{{ loop.cycle('a', 'b') }};{% endfor %}",
    "{% for x in [1,2,3,4] %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in [1,2,3,4] if x is odd %}{{ x }}{{ loop.length }}{% endfor %}|{% for x in [] %}no{% else %}empty{% endfor %}",
    "{{ [1,2,3][::-1] }}|{{ [1,2,3][1:] }}|{{ [1,2,3][-1] }}|{{ 'abcd'[1:3] }}|{{ 'abcd'[:-1] }}|{{ 'abcdef'[::2] }}|{{ messages[::-1][0].role }}",
    "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in tool | items %}{{ k }},{% endfor %}|{{ tool.keys() | list }}",
    "{{ 'x' is string }}{{ 1 is string }}{{ none is none }}{{ undefinedvar is defined }}{{ [1] is iterable }}{{ {'a':1} is mapping }}{{ 1 is number }}{{ 2.0 is float }}{{ 3 is integer }}{{ true is boolean }}",
    "{{ 'b' in 'abc' }}{{ 'a' in {'a': 1} }}{{ 2 in [1,2] }}{{ 3 not in [1,2] }}{{ 4 is divisibleby 2 }}{{ 3 is even }}{{ flag is sameas true }}{{ 'a' is equalto 'a' }}",
    "{{ 'yes' if flag else 'no' }}|{{ 'yes' if not flag }}|{{ 'a' if nothing is none else 'b' }}",
    "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | map(attribute='role') | join(', ') }}|{{ messages | rejectattr('role', 'eq', 'user') | map(attribute='content') | first }}",
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 'ab' ~ 3 }} {{ -n }} {{ x * 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e20 }} {{ 10 / 4 }}",
    "{{ none }}|{{ [1, 'a', none, true, 1.5] }}|{{ {'a': 'b', 'c': [1]} }}|{{ true }}{{ false }}|{{ 1.0 }}|{{ 3 | string }}|{{ \"it's\" }}|{{ ['it\\'s'] }}",
    "{{ '%s-%d' % ('a', 3) }}|{{ '%s!' % 'hi' }}|{{ 'ab' * 2 }}|{{ [1] + [2] }}|{{ 'a' + 'b' }}",
    "{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ messages | length }}|{{ text | length }}|{{ '日本' | length }}",
    "{% macro f(a, b='d') %}[{{ a }}{{ b }}]{% endmacro %}{{ f(1) }}{{ f(2, b='e') }}{{ f('x', 'y') }}",
    "{{ \"a\\tb\\\\n\" }}|{{ 'a' 'b' }}|{{ '\\u00e9\\x41' }}",
    "{% if messages[0].content is defined %}def{% endif %}{{ messages[0]['role'] }}{{ messages[0].role }}|{{ messages[5] is defined }}",
    "{{ {'a': 1}.get('b', 'dflt') }}|{{ {'a': 1}.get('a') }}|{{ {'a': 1}.get('z') }}|{{ ('x',) | length }}|{{ (1, 2) }}",
    "{{ [3,1,2] | sort }}|{{ [3,1,2] | sort(reverse=true) }}|{{ [1,1,2] | unique | list }}|{{ 'a b' | replace(' ', '_') }}|{{ [1,2] | reverse | list }}|{{ [1,2,3] | sum }}|{{ [4,1,9] | max }}{{ [4,1,9] | min }}",
    "{{ messages | last }}|{{ (messages | first).role }}|{{ 1 == 1.0 }}|{{ 'A' | lower }}|{{ '  a ' | trim }}|{{ 'xxax' | trim('x') }}|{{ -10 | abs }}|{{ 1.5 | int }}|{{ '3' | int + 1 }}|{{ 'z' | int }}|{{ 2.567 | round(2) }}|{{ '2.5' | float }}",
    "{{ 'a' | default('z') }}{{ nothing | default('z') }}{{ undefinedvar | default('u') }}{{ '' | default('e', true) }}|{{ [1,2] | first }}|{{ 'x'.join(['a','b']) }}|{{ ['a', 'b'] | join }}",
    "{{ 'line1\\nline2' | indent(2) }}|{{ 'line1\\nline2' | indent(2, true) }}|{{ 'one two  three' | wordcount }}",
    "a\n  {% if flag %}\n    yes\n  {% endif %}\nb\n",
    "a\n  {%- if flag %}\n    yes\n  {%- endif %}\nb\n",
    "a\n  {%+ if flag %}\n    yes\n  {% endif +%}\nb\n  {# comment #}\nc {# inline #} d\n{{ 'x' }}\n{{- 'y' -}}\n  z",
    "{%- for m in messages -%}\n  {{ m.role }}:\n  {{- m.content }}\n{% endfor -%}\nend",
    "{% set x %}inner {{ n }}{% endset %}[{{ x }}]|{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% raw %}{{ not rendered }}{% endraw %}",
    "{% set outer = 1 %}{% for i in [1] %}{% set outer = 2 %}{% endfor %}{{ outer }}|{% if true %}{% set y = 5 %}{% endif %}{{ y }}",
    "{% filter upper %}shout {{ n }}{% endfilter %}|{{ 'x' | upper | replace('X', 'y') }}",
    "{{ raise_exception('Custom refusal: ' ~ n) }}",
    "{{ undefinedvar.attr }}",
    "{{ 'a' + 1 }}",
    "{{ messages | join }}",
    "{{ (text.strip().split(',') | map('trim') | list) }}|{{ 'abc'.find('c') }}|{{ 'a-b-c'.count('-') }}|{{ '42'.isdigit() }}",
]


def main():
    env = environment()
    cases = []
    for name, (file, tokens) in TEMPLATES.items():
        template = env.from_string((DIR / file).read_text(encoding="utf-8"))
        for conv, messages in CONVERSATIONS.items():
            for agp in (True, False):
                case = {"template": name, "file": file, "conversation": conv, "add_generation_prompt": agp,
                        "special_tokens": tokens, "messages": messages}
                try:
                    case["expected"] = template.render(messages=messages, tools=None, documents=None,
                                                       add_generation_prompt=agp, **tokens)
                except jinja2.exceptions.TemplateError as e:
                    case["error"] = str(e)
                cases.append(case)
    probes = []
    for source in PROBES:
        case = {"template": source}
        try:
            case["expected"] = env.from_string(source).render(**PROBE_VARS)
        except Exception as e:  # noqa: BLE001 - every failure is recorded as the expected error
            case["error"] = f"{type(e).__name__}: {e}"
        probes.append(case)
    (DIR / "jinja-probes.json").write_text(json.dumps({"jinja2": jinja2.__version__, "variables": PROBE_VARS, "probes": probes},
                                                      ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out = DIR / "chat-fixtures.json"
    out.write_text(json.dumps({"jinja2": jinja2.__version__, "cases": cases}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(cases)} cases (jinja2 {jinja2.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
