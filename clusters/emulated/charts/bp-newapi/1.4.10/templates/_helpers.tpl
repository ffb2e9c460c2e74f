{# The channels the chart composes. A commercial-contract qwenBankDhofar channel whose
   attestation is incomplete is skipped (1.4.10+), so the install proceeds without it. #}
{% macro effectiveChannels(values) %}
{% set ns = namespace(channels=[]) %}
{% set q = values.defaultChannels.qwenBankDhofar %}
{% if q.enabled %}
{% set att = q.attestation %}
{% if att.kind != "commercial-contract" or (att.accountId and att.contractRef) %}
{% set ns.channels = ns.channels + [{"name": q.name, "model": q.model, "attestation": att}] %}
{% endif %}
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
