"""The pages' forms: they parse input into what a service takes.

A form checks shape (a number, a date, a known skill name); the services
check the rules, and a refusal is shown on the form with ``show_refusal``.
"""
