{{ config(materialized='table', pre_hook="insert into {{ target.schema }}.audit values ('pre', '{{ this.identifier }}')") }}
select 1 as id
