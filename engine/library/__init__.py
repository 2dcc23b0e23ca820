"""The domain functions rules may call: money, VAT rates and numbers, countries, addresses, dates."""
