select '{{ 'a' | shout }}' as x
