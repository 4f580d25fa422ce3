module example.com/perfledgerbench

go 1.19
