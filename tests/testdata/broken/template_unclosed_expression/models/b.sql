select {{ ref('a') as x
