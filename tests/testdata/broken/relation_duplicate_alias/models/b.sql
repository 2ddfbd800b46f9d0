{{ config(alias='a') }}
select 2 as id
