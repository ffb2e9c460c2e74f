{# The channels the chart composes: an enabled qwenBankDhofar channel always composes. #}
{% macro effectiveChannels(values) %}
{% set ns = namespace(channels=[]) %}
{% set q = values.defaultChannels.qwenBankDhofar %}
{% if q.enabled %}
{% set att = q.attestation %}
{% set ns.channels = ns.channels + [{"name": q.name, "model": q.model, "attestation": att}] %}
{% endif %}
{% set ns.channels = ns.channels + (values.channels or []) %}
{{ toYaml(ns.channels) }}
{% endmacro %}
{# Every commercial-contract channel must name the account it bills to. #}
{% macro assertChannelAttestation(values) %}
{% for c in fromYaml(effectiveChannels(values)) or [] %}
{% if c.attestation and c.attestation.get("kind") == "commercial-contract" and not c.attestation.get("accountId") %}
{{ fail("channel[" ~ loop.index0 ~ "] (" ~ c.name ~ "): commercial-contract attestation requires accountId") }}
{% endif %}
{% endfor %}
{% endmacro %}
